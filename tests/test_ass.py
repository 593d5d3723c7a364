"""ASS subtitles: read back by ffmpeg, drawn by libass (with the font in tests/data), karaoke
timing seen in the drawn frames."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import srt

from stt_toolkit.audio.ffmpeg import ffmpeg_binary
from stt_toolkit.core.options import RunOptions
from stt_toolkit.core.records import Segment, Word
from stt_toolkit.core.transcript import Transcript
from stt_toolkit.output.ass import timestamp
from stt_toolkit.output.cues import build_cues
from stt_toolkit.output.writers import render

FONTS = Path(__file__).parent / "data" / "fonts"


def said(*words: tuple[str, float, float], speaker: str | None = None) -> Transcript:
    items = tuple(Word(text, start, end, 0.9, speaker) for text, start, end in words)
    segment = Segment(0, items[0].start, items[-1].end, "".join(w.word for w in items), -0.2, 0.01, 1.3, 0.0, items,
                      speaker=speaker)
    return Transcript("en", items[-1].end + 2.0, (segment,), options=RunOptions())


def frame(tmp_path: Path, ass_text: str, at: float) -> np.ndarray:
    """The frame at ``at`` seconds of a black 640x360 video with the subtitles burnt in by
    libass, using only the test font (a fontconfig file of our own: no system fonts needed)."""
    (tmp_path / "subs.ass").write_text(ass_text, encoding="utf-8")
    (tmp_path / "fonts.conf").write_text(f'<?xml version="1.0"?><fontconfig><dir>{FONTS}</dir>'
                                         f'<cachedir>{tmp_path / "fc"}</cachedir></fontconfig>')
    done = subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                           "color=black:s=640x360:d=4:r=25", "-vf", f"subtitles=subs.ass:fontsdir={FONTS}",
                           "-ss", str(at), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                          cwd=tmp_path, capture_output=True, check=True, env={"FONTCONFIG_FILE": str(tmp_path / "fonts.conf")})
    return np.frombuffer(done.stdout, dtype=np.uint8).reshape(360, 640, 3).astype(int)


def colours(image: np.ndarray) -> tuple[int, int]:
    """Pixels drawn in yellow (spoken words) and in white (words still to come)."""
    yellow = (image[..., 0] > 200) & (image[..., 1] > 200) & (image[..., 2] < 80)
    white = image.min(axis=2) > 200
    return int(yellow.sum()), int(white.sum())


def test_karaoke_words_turn_yellow_as_they_are_spoken(tmp_path: Path) -> None:
    transcript = said((" Hello", 0.5, 1.0), (" world", 1.5, 2.5))
    karaoke = render(transcript, "ass", highlight_words=True)
    assert "{\\k100}Hello{\\k100} world" in karaoke and ",Karaoke," in karaoke
    assert colours(frame(tmp_path, karaoke, 0.2)) == (0, 0), "nothing before the cue"
    first_yellow, first_white = colours(frame(tmp_path, karaoke, 1.2))
    last_yellow, last_white = colours(frame(tmp_path, karaoke, 2.4))
    assert first_yellow > 20 and first_white > 20, "one word spoken, one to come"
    assert last_white == 0 and last_yellow > first_yellow, "both spoken"
    plain = render(transcript, "ass")
    assert colours(frame(tmp_path, plain, 1.2))[0] == 0 and colours(frame(tmp_path, plain, 1.2))[1] > 40


def test_text_cannot_become_override_tags_and_names_cannot_break_fields(tmp_path: Path) -> None:
    transcript = said((" {\\an8}up", 0.5, 1.0), (" here\\N", 1.0, 1.5), (" please,", 1.5, 2.0), speaker="Ana, B")
    text = render(transcript, "ass")
    event = text.split("Text\n", 1)[1].strip()
    fields = event.split(",", 9)
    assert fields[4] == "Ana  B" and "{" not in fields[9] and "\\" not in fields[9], event
    assert fields[9] == "Ana, B: ｛＼an8｝up here＼N please,"
    (tmp_path / "x.ass").write_text(text, encoding="utf-8")
    back = subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(tmp_path / "x.ass"), "-f", "srt", "-"],
                          capture_output=True, text=True, check=True).stdout
    assert [re.sub(r"<[^>]+>", "", s.content) for s in srt.parse(back)] == ["Ana, B: ｛＼an8｝up here＼N please,"]


@pytest.mark.parametrize("seconds, expected", [(0.0, "0:00:00.00"), (61.234, "0:01:01.23"), (3 * 3600 - 0.004, "3:00:00.00")])
def test_timestamps(seconds: float, expected: str) -> None:
    assert timestamp(seconds) == expected


def test_ffmpeg_reads_back_every_cue_of_real_speech(tmp_path: Path, speech: Path) -> None:
    from stt_toolkit import transcribe

    transcript = transcribe(speech / "librispeech_dev-clean_2412-153948-0000.flac", engine="local")
    cues = build_cues(transcript.segments, audio_end=transcript.duration)
    (tmp_path / "talk.ass").write_text(render(transcript, "ass", highlight_words=True), encoding="utf-8")
    back = subprocess.run([ffmpeg_binary(), "-nostdin", "-loglevel", "error", "-i", str(tmp_path / "talk.ass"),
                           "-f", "srt", "-"], capture_output=True, text=True, check=True).stdout
    subs = list(srt.parse(back))
    assert len(subs) == len(cues) >= 2
    for cue, sub in zip(cues, subs):
        assert sub.start.total_seconds() == pytest.approx(cue.start, abs=0.006)
        assert sub.end.total_seconds() == pytest.approx(cue.end, abs=0.006)
        assert " ".join(re.sub(r"<[^>]+>", "", sub.content).split()) == " ".join(cue.text.split()), "styles as tags"
