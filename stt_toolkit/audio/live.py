"""Stage 1 and 2 while the decode runs: chunks are planned as the audio arrives.

:func:`decode_live` decodes an input (:func:`~.decode.preprocess_streaming`) and, block by
block, finds its speech (:class:`~.vad.VadStream`), settles what of it is sent
(:func:`~stt_toolkit.core.speech.settled_skips`, :class:`~.condense.SentStream`), measures the
energy of what is sent (:class:`~.energy.EnergyMeter`) and decides each cut as soon as its
search window is known (:class:`~.plan.ChunkPlanner`); each chunk is handed to ``emit`` with
its samples at once (the uploader encodes them: this thread keeps reading ffmpeg's output), so
the first requests go out while the rest of the file decodes. The cuts, the chunks' samples
and the files written are those the whole-file path makes (the tests compare). Memory stays
flat: only the audio not yet handed out is held.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..core.options import ChunkOptions, VadOptions
from ..core.records import SAMPLE_RATE, AudioInfo, Chunk, EnergyProfile
from ..core.speech import FRAME, SkipMap, SpeechMap, settled_skips
from .condense import SentStream
from .decode import AudioInput, preprocess_streaming
from .energy import EnergyMeter
from .plan import ChunkPlanner, upload_bytes_per_second
from .vad import VadStream

#: What a live decode hands on: a chunk, and its 16 kHz int16 samples.
Emit = Callable[[Chunk, np.ndarray], None]


@dataclass(frozen=True)
class LiveAudio:
    """What a live decode found: ``info``, the whole file; ``speech``, its voice-activity map
    (None without one); ``skips``, the pieces sent; ``sent``, their audio end to end (``info``
    when nothing is left out); ``chunks``, every chunk handed out, in order; ``profile``, the
    energy curve of ``sent``."""

    info: AudioInfo
    speech: SpeechMap | None
    skips: SkipMap
    sent: AudioInfo
    chunks: list[Chunk]
    profile: EnergyProfile


class Tape:
    """Samples from a moving start on, kept in blocks: appended at the end, read anywhere
    after the start, dropped from the front (no copy of what is kept)."""

    def __init__(self) -> None:
        self._blocks: deque[tuple[int, np.ndarray]] = deque()  # (first sample, samples)
        self.start = 0  # sample number of the first kept sample
        self.end = 0

    def append(self, block: np.ndarray) -> None:
        """Add samples at the end."""
        if len(block):
            self._blocks.append((self.end, block))
            self.end += len(block)

    def read(self, a: int, b: int) -> np.ndarray:
        """Samples ``a`` to ``b`` (within what is kept)."""
        if not self.start <= a <= b <= self.end:
            raise ValueError(f"samples {a}-{b} are not on the tape ({self.start}-{self.end})")
        parts = [block[max(a - at, 0):b - at] for at, block in self._blocks if at < b and at + len(block) > a]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)

    def drop_before(self, position: int) -> None:
        """Forget the samples before ``position``."""
        position = min(max(position, self.start), self.end)
        while self._blocks and self._blocks[0][0] + len(self._blocks[0][1]) <= position:
            self._blocks.popleft()
        if self._blocks and self._blocks[0][0] < position:
            at, block = self._blocks.popleft()
            self._blocks.appendleft((position, block[position - at:]))
        self.start = position


def decode_live(audio: AudioInput, flac: str | Path, options: ChunkOptions, emit: Emit | None, *, strict: bool = True,
                name: str | None = None, vad: VadOptions | None = None, skip: bool = False) -> LiveAudio:
    """Decode ``audio`` to the 16 kHz FLAC ``flac`` and hand out its chunks as they are
    decided (see the module docstring); with ``vad``, cut where speech is least likely and,
    with ``skip``, leave out non-speech (the speech alone is written beside ``flac``). Without
    ``emit``, the chunks are only planned (a dry run)."""
    sent_path = Path(flac).with_name(Path(flac).stem + ".sent.flac")
    with contextlib.ExitStack() as stack:
        stream = stack.enter_context(VadStream()) if vad is not None else None
        writer = (stack.enter_context(sf.SoundFile(str(sent_path), "w", samplerate=SAMPLE_RATE, channels=1,
                                                   format="FLAC", subtype="PCM_16"))
                  if skip and vad is not None else None)
        live = _Live(options, emit, stream, vad, writer)
        info = preprocess_streaming(audio, flac, live.feed, strict=strict, name=name)
        found = live.finish(info, sent_path)
    return found


class _Live:
    """The state of one live decode (see :func:`decode_live`)."""

    def __init__(self, options: ChunkOptions, emit: Emit | None, vad: VadStream | None, vad_options: VadOptions | None,
                 writer: sf.SoundFile | None) -> None:
        self.options, self.emit, self.vad, self.vad_options, self.writer = options, emit, vad, vad_options, writer
        self.planner = ChunkPlanner(options, upload_bytes_per_second(options), SAMPLE_RATE)
        self.energy = EnergyMeter(SAMPLE_RATE)
        self.sent_tape = Tape()
        self.file_tape = Tape()
        self.stream = SentStream(SAMPLE_RATE)
        self.skips = SkipMap.whole(0)
        self.chunks: list[Chunk] = []
        self._analysed = 0  # frames of the file whose speech probability is known

    @property
    def skipping(self) -> bool:
        return self.writer is not None

    def feed(self, block: np.ndarray) -> None:
        """Take the next decoded int16 samples."""
        samples = block.astype(np.float32) / 32768.0
        if self.vad is not None:
            self.vad.feed(samples)
        if not self.skipping:
            self._sent(block, samples)
        else:  # skipping needs the map: send on what of the file is settled
            assert self.vad is not None and self.vad_options is not None
            self.file_tape.append(block)
            if self.vad.frames_ready > self._analysed:
                probs = self.vad.ready()
                self._analysed = len(probs)
                self.skips, settled = settled_skips(probs, self.vad_options)
                self._take(settled, final=False)
        self._plan()

    def finish(self, info: AudioInfo, sent_path: Path) -> LiveAudio:
        """Hand out the last chunks once the decode has ended; what was found."""
        speech = self.vad.finish() if self.vad is not None else None
        sent = info
        if self.skipping and speech is not None and self.vad_options is not None:
            self.skips = SkipMap.plan(speech.spans(self.vad_options), info.frames, self.vad_options)
            self._take(info.frames, final=True)
            assert self.writer is not None
            self.writer.close()
            if self.skips.skips_anything:
                frames = self.energy.samples
                sent = dataclasses.replace(info, path=sent_path, duration=frames / SAMPLE_RATE, frames=frames,
                                           bytes=sent_path.stat().st_size)
        else:
            self.skips = SkipMap.whole(info.frames)
        if not self.skips.skips_anything:
            sent_path.unlink(missing_ok=True)
        if self.energy.samples != sent.frames:
            raise RuntimeError(f"{info.source}: {self.energy.samples} samples were planned of {sent.frames} sent")
        profile = self.energy.profile(sent.frames, final=True)
        if sent.frames:
            speech_sent = speech.sent(self.skips) if speech is not None else None
            for chunk in self.planner.advance(profile, speech_sent, sent.frames, final=True):
                self._emit(chunk)
        return LiveAudio(info, speech, self.skips, sent, self.chunks, profile)

    def _take(self, settled: int, final: bool) -> None:
        """Send on what of the file is settled, as the sent audio."""
        for block in self.stream.take(self.skips, settled, self.file_tape.read, final):
            self._sent(block, block.astype(np.float32) / 32768.0)
        self.file_tape.drop_before(self.stream.file_pos)

    def _sent(self, block: np.ndarray, samples: np.ndarray) -> None:
        self.sent_tape.append(block)
        self.energy.feed(samples)
        if self.writer is not None:
            self.writer.write(block)

    def _plan(self) -> None:
        """Hand out every chunk the audio so far decides."""
        known = self.energy.samples
        exact = self.energy.exact_until()
        if self.vad is not None:  # the sent audio's whole frames with a speech probability
            exact = min(exact, (known // FRAME if self.skipping else self.vad.frames_ready) * FRAME)
        if not self.planner.can_cut(known, exact):
            return
        speech = SpeechMap(self._sent_probs(), known) if self.vad is not None else None
        for chunk in self.planner.advance(self.energy.profile(), speech, known, exact=exact):
            self._emit(chunk)

    def _sent_probs(self) -> np.ndarray:
        """The speech probabilities of the sent audio so far (whole frames)."""
        assert self.vad is not None
        probs = self.vad.ready()
        if not self.skipping:
            return probs
        parts = [probs[p.start // FRAME:min(p.end, self.stream.file_pos) // FRAME]
                 for p in self.skips.pieces if p.start < self.stream.file_pos]
        return np.concatenate(parts) if parts else probs[:0]

    def _emit(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)
        if self.emit is not None:
            self.emit(chunk, self.sent_tape.read(chunk.start, chunk.end))
        self.sent_tape.drop_before(chunk.keep_end - self.planner.overlap // 2)  # where the next chunk starts
