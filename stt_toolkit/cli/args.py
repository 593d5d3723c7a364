"""The command line's arguments: each group of flags defined once, shared by the
subcommands that take it (``transcribe`` and ``prepare`` cut, decode and write alike).
Defaults come from :class:`~stt_toolkit.RunOptions`, so a flag and its library keyword
never disagree."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..audio.ffmpeg import FFMPEG_ENV
from ..core import __version__
from ..core.codecs import CODEC_NAMES
from ..core.options import DEFAULT_MAX_BYTES, ENGINE_NAMES, SPEAKER_STYLES, SUBTITLE_STYLES, RunOptions

COMMANDS = ("transcribe", "prepare", "models")
_DEFAULTS = RunOptions()


def build_parser(description: str = "") -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="stt-toolkit", description=description)
    parser.add_argument("--version", action="version", version=f"stt-toolkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("transcribe", help="transcribe files and folders into subtitles and text",
                              description="Transcribe each input into OUT_DIR/<relative path>.<format>.")
    _add_inputs(run, "transcripts")
    run.add_argument("-f", "--formats", action="append", default=None,
                     help="comma-separated, or -f again: srt,vtt,json,txt,ass (default: srt,vtt,json,txt)")
    run.add_argument("--include", action="append", default=[], metavar="GLOB", help="only files matching")
    run.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip files matching")
    run.add_argument("--overwrite", action="store_true", help="redo files whose outputs exist")
    run.add_argument("--dry-run", action="store_true", help="show durations, chunks and cost; send nothing")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress; only the summary")
    _add_engine_flags(run)
    _add_chunk_flags(run)
    _add_skip_flags(run)
    _add_api_flags(run)
    _add_decode_flags(run)
    _add_repair_flags(run)
    _add_speaker_flags(run)
    _add_subtitle_flags(run)
    models = commands.add_parser("models", help="list the engine's models")
    for name in ("--engine", "--model", "--base-url"):
        models.add_argument(name, default="auto" if name == "--engine" else None)
    _add_prepare(commands)
    return parser


def _add_prepare(commands: Any) -> None:
    prepare = commands.add_parser(
        "prepare", help="decode media to 16 kHz mono FLAC and plan its chunks",
        description="Decode each input to OUT_DIR/<stem>.flac (16 kHz mono 16-bit FLAC) and "
        "write its chunk plan to OUT_DIR/<stem>.chunks.json.")
    _add_inputs(prepare, "prepared")
    _add_chunk_flags(prepare)
    prepare.add_argument("--export-chunks", action="store_true", help="also write each chunk's audio")
    _add_decode_flags(prepare)
    prepare.add_argument("--overwrite", action="store_true", help="replace files the toolkit did not write")
    prepare.add_argument("-q", "--quiet", action="store_true", help="print only errors")


def _add_inputs(parser: argparse.ArgumentParser, out_dir: str) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders (searched recursively)")
    parser.add_argument("-o", "--out-dir", type=Path, default=Path(out_dir), help=f"default: ./{out_dir}")


def _add_engine_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--engine", choices=ENGINE_NAMES, default=d.engine,
                        help="auto: groq when GROQ_API_KEY is set, else the offline local engine")
    parser.add_argument("--model", default=d.model, help="model id, or a local model directory")
    parser.add_argument("--language", default=d.language, help="ISO-639-1 code of the speech (default: detect)")
    parser.add_argument("--translate", action="store_true", help="translate to English")
    parser.add_argument("--prompt", default=d.prompt, help="spelling and style guide for the model")
    parser.add_argument("--temperature", type=float, default=d.temperature)
    parser.add_argument("--word-timestamps", action=argparse.BooleanOptionalAction, default=d.word_timestamps)


def _add_chunk_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--chunk-seconds", type=float, default=d.chunk_seconds, help="target chunk length (600)")
    parser.add_argument("--overlap-seconds", type=float, default=d.overlap_seconds, help="overlap at cuts (10)")
    parser.add_argument("--search-seconds", type=float, default=d.search_seconds, help="cut search window (30)")
    parser.add_argument("--max-bytes", type=int, default=d.max_bytes, help=f"upload limit ({DEFAULT_MAX_BYTES})")
    parser.add_argument("--codec", choices=CODEC_NAMES, default=d.codec, help="chunk codec")


def _add_skip_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--vad", action=argparse.BooleanOptionalAction, default=d.vad,
                        help="find speech with a voice-activity model (--no-vad: cut by energy, skip nothing)")
    parser.add_argument("--skip-silence", action=argparse.BooleanOptionalAction, default=d.skip_silence,
                        help="leave non-speech out of the audio sent (--no-skip-silence sends it all)")
    parser.add_argument("--min-skip-seconds", type=float, default=d.min_skip_seconds,
                        help="shortest non-speech left out (2)")


def _add_api_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--concurrency", type=int, default=d.concurrency, help="requests in flight (4)")
    parser.add_argument("--rpm", type=float, default=d.rpm, help="client-side requests per minute")
    parser.add_argument("--audio-seconds-per-hour", type=float, default=d.audio_seconds_per_hour)
    parser.add_argument("--max-attempts", type=int, default=d.max_attempts)
    parser.add_argument("--base-url", default=d.base_url, help="API root (else GROQ_BASE_URL / OPENAI_BASE_URL)")


def _add_decode_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction, default=d.strict,
                        help="refuse damaged files (--no-strict keeps what decodes)")
    parser.add_argument("--ffmpeg", default=d.ffmpeg, metavar="PATH",
                        help=f"run this ffmpeg (5.1 or newer) instead of the bundled one (also {FFMPEG_ENV})")


def _add_repair_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    parser.add_argument("--fill-gaps", action=argparse.BooleanOptionalAction, default=d.fill_gaps,
                        help="transcribe again stretches of speech that no chunk transcribed or that one word hides")
    parser.add_argument("--condition-on-previous", action="store_true",
                        help="prompt each chunk with the text before it (chunks of a file go one at a time)")
    parser.add_argument("--retry-flagged", action="store_true",
                        help="send low-confidence or looping segments again, keep the better result")
    parser.add_argument("--retry-model", default=d.retry_model,
                        help="model for those retries, e.g. whisper-large-v3 (implies --retry-flagged)")
    parser.add_argument("--keep-hallucinations", action="store_true",
                        help="keep text Whisper makes up over silence or non-speech (flagged) in the text and subtitles")
    parser.add_argument("--highlight-words", action="store_true",
                        help="karaoke: word timestamps in VTT, word-by-word highlighting in ASS")


def _speaker_count(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give auto or a number of speakers, not {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"the number of speakers must be at least 1, not {count}")
    return count


def _add_speaker_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    group = parser.add_argument_group("speakers", "who said what, found offline (pip install 'stt-toolkit[speakers]')")
    group.add_argument("--speakers", type=_speaker_count, default=d.speakers, metavar="auto|N",
                       help="label speakers: auto finds how many, N asks for exactly N")
    group.add_argument("--min-speakers", type=int, default=d.min_speakers, metavar="N",
                       help="at least N speakers (implies --speakers auto)")
    group.add_argument("--max-speakers", type=int, default=d.max_speakers, metavar="N",
                       help="at most N speakers (implies --speakers auto)")
    group.add_argument("--speaker-names", default=d.speaker_names, metavar="NAMES",
                       help='names in order of first appearance, comma-separated: "Ana,Ben"')
    group.add_argument("--speaker-style", choices=SPEAKER_STYLES, default=d.speaker_style,
                       help="SRT: names starts each turn with 'Name: '; dashes puts two speakers' lines in one "
                       "cue, each led by a dash")


def _add_subtitle_flags(parser: argparse.ArgumentParser) -> None:
    d = _DEFAULTS
    group = parser.add_argument_group("subtitles", "a preset, and any of its limits changed")
    group.add_argument("--subtitle-style", choices=SUBTITLE_STYLES, default=d.subtitle_style,
                       help="netflix: 42 characters, 2 lines, 20 characters a second; bbc: 37, 2, 17; "
                       "compact: 22, 2, 20, cues of at most 4 s (vertical video)")
    group.add_argument("--max-line-chars", type=int, default=d.max_line_chars, metavar="N",
                       help="characters a line at most")
    group.add_argument("--max-lines", type=int, default=d.max_lines, metavar="N", help="lines a cue at most")
    group.add_argument("--max-cps", type=float, default=d.max_cps, metavar="X",
                       help="reading-speed limit, characters a second (cues aim at 85%% of it where the speech allows)")
    group.add_argument("--min-cue-seconds", type=float, default=d.min_cue_seconds, metavar="S",
                       help="shortest display of a cue, where the speech allows")
    group.add_argument("--max-cue-seconds", type=float, default=d.max_cue_seconds, metavar="S",
                       help="longest display of a cue")


def run_options(args: argparse.Namespace) -> RunOptions:
    """The library options named by the parsed flags (same names)."""
    names = RunOptions.__dataclass_fields__.keys()
    return RunOptions.from_kwargs(**{k: v for k, v in vars(args).items() if k in names})
