"""How well the subtitles read: the layout measures of issue #16, before and after.

``python bench/bench_subtitles.py [--baseline REV]`` transcribes the shared clips, the long
shared files and a 12-minute meeting joined from them (local engine; speakers labelled where
a file has several), once, keeping each transcript as JSON under ``bench/out/subtitles``. It then
builds the subtitle cues from those same transcripts with this checkout and with the library
at git revision ``REV`` (a temporary worktree, in a subprocess), and prints a Markdown table.
Each build uses its own defaults. The measures are computed here, the same way for both:

* lines ending on a binding word (:data:`stt_toolkit.output.breaks.BINDING`, an article,
  determiner, preposition, conjunction, subject pronoun or auxiliary, with no punctuation after it);
* cues over 17 and over 20 characters a second (characters of the cue's text, the line break
  counted as the space it replaces);
* lone-word cues: a cue of one word where that word does not stand alone in speech (a pause of
  0.5 s or a change of speaker on both sides);
* cues that open with the tail of a sentence (at most two words, then a sentence end, "Mr." and
  "etc." not counted as one) after a
  cue of the same speaker that ended mid-sentence (a change of speaker must start a cue; with
  the diarizer's turn boundaries, that can fall mid-sentence);
* as the floor for the reading-speed measures, the stretches of speech (between pauses of 1 s
  or changes of speaker) that are themselves spoken faster than 20 characters a second, over
  the time until the next stretch: no layout can bring their cues under 20;
* names and numbers split at a line or cue end (two capitalised words, "New / Jersey", or a
  number and a word, "15th / century", with no punctuation between);
* cues shorter than 5/6 s; balance of two-line cues (shorter line over longer: mean, worst);
* and as checks: words lost or repeated, cues overlapping or outside the audio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "audio"
OUT = REPO / "bench" / "out" / "subtitles"

from stt_toolkit import transcribe  # noqa: E402
from stt_toolkit.audio.decode import preprocess  # noqa: E402
from stt_toolkit.core.records import Word  # noqa: E402
from stt_toolkit.output.breaks import BINDING, ends_sentence  # noqa: E402

#: (file under ../shared/audio, speakers to label: None, a count or "auto")
FILES: tuple[tuple[str, int | str | None], ...] = (
    ("short_en/jfk_inaugural_1961_excerpt.wav", None),
    ("short_en/librispeech_dev-clean_2412-153948-0000.flac", None),
    ("short_en/librivox_sense_and_sensibility_0870.wav", None),
    ("short_en/mfa_acoustic_corpus_spontaneous.wav", None),
    ("short_en/pyannote_sample_2spk_conversation.wav", 2),
    ("short_en/ami_ES2011a_headset0_40-46s.wav", None),
    ("long_en/ljspeech_LJ001-0001_to_0032_continuous.flac", None),
    ("long_en/stitched_multispeaker_real_speech_16k.flac", "auto"),
    ("synthetic/tts_podcast_2voices_16k.flac", 2),
    ("meeting", "auto"),
)
MEETING_PARTS = ("long_en/stitched_multispeaker_real_speech_16k.flac", "synthetic/tts_podcast_2voices_16k.flac",
                 "short_en/mfa_acoustic_corpus_spontaneous.wav", "long_en/ljspeech_LJ001-0001_to_0032_continuous.flac",
                 "short_en/pyannote_sample_2spk_conversation.wav", "short_en/ami_ES2011a_headset0_40-46s.wav")

#: Prints the cues of each transcript JSON named on stdin, with whatever library is importable.
CUES_SCRIPT = r"""
import json, sys
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.core.options import CueOptions
from stt_toolkit.output.cues import build_cues
out = {}
asked = json.load(sys.stdin)
for path in asked["paths"]:
    t = Transcript.from_json(open(path, encoding="utf-8").read())
    cues = build_cues(t.segments, CueOptions(**asked["options"]), audio_end=t.duration)
    out[path] = [{"start": c.start, "end": c.end, "speakers": list(c.line_speakers),
                  "lines": [[[w.word, w.start, w.end] for w in line] for line in c.line_words]} for c in cues]
print(json.dumps(out))
"""


def meeting(work: Path) -> Path:
    """The meeting: the parts at 16 kHz, joined with 1 s pauses (about 12.5 minutes)."""
    target = work / "meeting.flac"
    if not target.exists():
        parts = []
        for name in MEETING_PARTS:
            flac = work / f"{Path(name).stem}.16k.flac"
            if not flac.exists():
                preprocess(SHARED / name, flac)
            parts += [sf.read(flac, dtype="int16")[0], np.zeros(16000, dtype=np.int16)]
        sf.write(target, np.concatenate(parts), 16000, subtype="PCM_16")
    return target


def transcripts(work: Path) -> list[Path]:
    """Each file's transcript as JSON, made once."""
    paths = []
    for name, speakers in FILES:
        target = work / f"{Path(name).stem}.json"
        if not target.exists():
            source = meeting(work) if name == "meeting" else SHARED / name
            result = transcribe(source, engine="local", speakers=speakers)
            target.write_text(result.to_json(), encoding="utf-8")
        paths.append(target)
    return paths


def cues_with(pythonpath: Path, paths: list[Path], **options: float) -> dict[str, list[dict]]:
    """The cues of every transcript, built by the library found at ``pythonpath`` (``options``:
    fields of its ``CueOptions``)."""
    asked = {"paths": [str(p) for p in paths], "options": options}
    done = subprocess.run([sys.executable, "-c", CUES_SCRIPT], input=json.dumps(asked),
                          capture_output=True, text=True, env={"PYTHONPATH": str(pythonpath), "PATH": "/usr/bin:/bin"},
                          cwd=pythonpath,
                          check=True)
    return json.loads(done.stdout)


def spoken_words(path: Path) -> list[tuple[str, float, float, str | None]]:
    """The words subtitles should show, with their speakers."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(w["word"], w["start"], w["end"], s.get("speaker")) for s in data["segments"]
            if "silence_hallucination" not in s.get("flags", ()) for w in s.get("words") or () if w["word"].strip()]


def _text(line: list) -> str:
    return "".join(w[0] for w in line).strip()


def _sentence_end(token: str) -> bool:
    return ends_sentence(Word(token, 0.0, 0.0))


def _binding(token: str) -> bool:
    token = token.strip()
    return token[-1:].isalnum() and token.lower() in BINDING


def measures(cues: list[dict], words: list[tuple[str, float, float, str | None]], duration: float) -> dict:
    """The layout measures of one file's cues (see the module's docstring)."""
    lines = [line for cue in cues for line in cue["lines"]]
    cps = [len(" ".join(_text(line) for line in cue["lines"])) / max(cue["end"] - cue["start"], 1e-3) for cue in cues]
    alone = set()
    for i, (_, start, end, speaker) in enumerate(words):
        before = i == 0 or start - words[i - 1][2] >= 0.5 or words[i - 1][3] != speaker
        after = i + 1 == len(words) or words[i + 1][1] - end >= 0.5 or words[i + 1][3] != speaker
        if before and after:
            alone.add((round(start, 3), round(end, 3)))
    lone = [c for c in cues if sum(len(line) for line in c["lines"]) == 1
            and (round(c["lines"][0][0][1], 3), round(c["lines"][0][0][2], 3)) not in alone]
    tails = 0
    for previous, cue in zip(cues, cues[1:]):
        if previous["speakers"][-1] != cue["speakers"][0]:
            continue
        flat = [w[0].strip() for line in cue["lines"] for w in line]
        if not _sentence_end(previous["lines"][-1][-1][0].strip()) and any(
                _sentence_end(t) for t in flat[:2][:len(flat) - 1]):
            tails += 1
    balance = [min(a, b) / max(a, b, 1) for cue in cues if len(cue["lines"]) == 2
               for a, b in [tuple(len(_text(line)) for line in cue["lines"])]]
    shown = [w[0] for cue in cues for line in cue["lines"] for w in line]
    ends = [(line[-1][0].strip(), nxt[0][0].strip()) for line, nxt in zip(lines, lines[1:])]
    split = sum(1 for a, b in ends if a[-1:].isalnum() and (
        (a[:1].isupper() and b[:1].isupper() and a != "I") or (a[:1].isdigit() and b[:1].isalpha())))
    overlaps = sum(1 for a, b in zip(cues, cues[1:]) if b["start"] < a["end"])
    return {"cues": len(cues), "fast": fast_speech(words), "binding": sum(_binding(line[-1][0]) for line in lines[:-1]) / max(len(lines) - 1, 1),
            "over17": sum(c > 17 for c in cps) / max(len(cues), 1), "over20": sum(c > 20 for c in cps) / max(len(cues), 1),
            "lone": len(lone), "tails": tails, "short": sum(c["end"] - c["start"] < 5 / 6 - 1e-6 for c in cues),
            "balance": statistics.mean(balance) if balance else 1.0, "worst": min(balance, default=1.0),
            "words": len(shown) - len(words), "split": split, "overlaps": overlaps,
            "outside": sum(c["start"] < 0 or c["end"] > duration + 1e-3 for c in cues)}


def fast_speech(words: list[tuple[str, float, float, str | None]]) -> float:
    """The share of stretches of speech spoken faster than 20 characters a second."""
    stretches, current = [], [words[0]] if words else []
    for before, after in zip(words, words[1:]):
        if after[1] - before[2] >= 1.0 or after[3] != before[3]:
            stretches.append((current, after[1]))
            current = []
        current.append(after)
    if current:
        stretches.append((current, current[-1][2] + 1.0))
    fast = [len("".join(w[0] for w in run).strip()) / max(until - run[0][1], 1e-3) > 20 for run, until in stretches]
    return sum(fast) / max(len(fast), 1)


def table(rows: dict[str, dict[str, dict]], labels: list[str]) -> list[str]:
    """One row per file and build: the measures."""
    out = ["| file | build | cues | lines ending on a binding word | cues > 17 cps | cues > 20 cps | speech > 20 cps | lone-word cues "
           "| sentence-tail openings | names/numbers split | cues < 5/6 s | 2-line balance mean / worst | words lost or doubled "
           "| overlaps / outside |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, by_label in rows.items():
        for label in labels:
            m = by_label[label]
            out.append(f"| {name} | {label} | {m['cues']} | {m['binding']:.1%} | {m['over17']:.1%} | {m['over20']:.1%} "
                       f"| {m['fast']:.1%} | {m['lone']} | {m['tails']} | {m['split']} | {m['short']} | {m['balance']:.2f} / {m['worst']:.2f} "
                       f"| {m['words']} | {m['overlaps']} / {m['outside']} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="git revision to compare with (for example HEAD~3)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    paths = transcripts(OUT)
    builds = {"now": cues_with(REPO, paths)}
    if args.baseline:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", tmp, args.baseline],
                           check=True, capture_output=True)
            try:
                builds = {args.baseline: cues_with(Path(tmp), paths), **builds}
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", tmp], check=True)
    rows: dict[str, dict[str, dict]] = {}
    for path in paths:
        duration = json.loads(path.read_text(encoding="utf-8"))["duration"]
        words = spoken_words(path)
        rows[path.stem] = {label: measures(cues[str(path)], words, duration) for label, cues in builds.items()}
    print("\n".join(table(rows, list(builds))))


if __name__ == "__main__":
    main()
