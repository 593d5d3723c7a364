"""The HTTP engines: Groq and any OpenAI-compatible server (the only HTTP code).

One :class:`ApiEngine` is shared by every file of a run: its semaphore bounds the requests in
flight, its sliding windows pace requests and audio seconds, and its pause gate holds every
request back after a 429, so that there is no retry storm; its learnt deadlines
(:mod:`~stt_toolkit.engines.deadlines`) give up on a stalled request and send it again, or
near a run's end send a late one twice. The API key lives only in the
client's headers: it is never logged, never put in a message, never in a repr.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from ..core import errors
from ..core.billing import Usage, answered, billed_seconds
from ..core.options import ApiOptions, Task, TranscribeOptions
from ..core.records import ChunkAudio, ChunkResult
from .base import ClosingEngine, can_translate
from .deadlines import Deadlines
from .inflight import Copy, GivenUp, Raced, Tried, Upload, cancel
from .limits import REAL_TIME, PauseGate, SlidingWindow, Timer, backoff_seconds, retry_after_seconds
from .response import parse_verbose_json, transcript_body
from .secrets import clean_key, scrub, secret_forms, warn_if_plain_http

log = logging.getLogger("stt_toolkit.api")
RETRY_STATUSES = frozenset({408, 409, 429, 498, 500, 502, 503, 504})
#: How often a request in flight looks again at its learnt deadline (it shrinks as answers come in).
_RECHECK_SECONDS = 0.25


@dataclass(frozen=True)
class Provider:
    """Where a service lives and which models it defaults to."""

    name: str
    base_url: str
    base_url_env: str
    key_env: str
    transcribe_model: str
    translate_model: str


GROQ = Provider("groq", "https://api.groq.com/openai/v1", "GROQ_BASE_URL", "GROQ_API_KEY",
                "whisper-large-v3-turbo", "whisper-large-v3")
OPENAI = Provider("openai", "https://api.openai.com/v1", "OPENAI_BASE_URL", "OPENAI_API_KEY",
                  "whisper-1", "whisper-1")


def resolve_base_url(provider: Provider, base_url: str | None = None) -> str:
    """The API root (ending in ``/openai/v1`` for Groq) from the argument, the environment
    variable, or the provider's default."""
    url = (base_url or os.environ.get(provider.base_url_env) or provider.base_url).rstrip("/")
    where = "--base-url" if base_url else provider.base_url_env  # the built-in default is valid
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed, port = None, None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host or not 0 < (port or 1) < 65536:
        raise errors.UsageError(f"{where} {url!r} is not an http:// or https:// address with a host (and a port "
                                "from 1 to 65535)")
    if provider is GROQ and not url.endswith("/openai/v1"):
        url += "/openai/v1"
    return url


def build_form(model: str, options: TranscribeOptions) -> dict[str, Any]:
    """The multipart form fields of one request (pure; the file part is added apart)."""
    form: dict[str, Any] = {"model": model, "response_format": "verbose_json",
                            "temperature": str(options.temperature)}
    if options.task == "transcribe":
        form["timestamp_granularities[]"] = ["word", "segment"] if options.word_timestamps else ["segment"]
        if options.language:
            form["language"] = options.language
    if options.prompt:
        form["prompt"] = options.prompt
    return form


class ApiEngine(ClosingEngine):
    """Transcribes chunks through an OpenAI-compatible HTTP API, with retries and pacing."""

    bills = True  # every request is billed, at least 10 s

    def __init__(self, provider: Provider = GROQ, *, api_key: str | None = None, base_url: str | None = None,
                 model: str | None = None, options: ApiOptions | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, timer: Timer = REAL_TIME) -> None:
        self.name = provider.name
        self.provider = provider
        self.options = options or ApiOptions()
        self.base_url = resolve_base_url(provider, base_url)
        self._model = model
        self.usage = Usage()
        key = clean_key(api_key or os.environ.get(provider.key_env), "api_key" if api_key else provider.key_env)
        self._secret_forms = secret_forms(key)
        warn_if_plain_http(self.base_url)
        timeout = httpx.Timeout(self.options.read_timeout_base, connect=self.options.connect_timeout)
        self._client = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout,
                                         headers={"Authorization": f"Bearer {key}"})
        self._slots = asyncio.Semaphore(self.options.concurrency)
        self._timer = timer
        self._pause = PauseGate(timer.now, timer.sleep)
        self._rpm = SlidingWindow(self.options.rpm, 60.0, timer.now, timer.sleep) if self.options.rpm else None
        self._audio = (SlidingWindow(self.options.audio_seconds_per_hour, 3600.0, timer.now, timer.sleep)
                       if self.options.audio_seconds_per_hour else None)
        self._fatal: errors.SttError | None = None
        self._waiting = 0  # requests waiting for a slot (none: a hedge may take a free one)
        o = self.options
        self._deadlines = Deadlines(o.deadline_percentile, o.deadline_multiplier, o.deadline_floor_seconds,
                                    o.deadline_min_samples)

    def __repr__(self) -> str:
        return f"ApiEngine(name={self.name!r}, base_url={self.base_url!r}, model={self._model!r})"

    def model_for(self, task: Task) -> str:
        """The model used for ``task``: the one given, else the provider's default."""
        if self._model:
            return self._model
        return self.provider.translate_model if task == "translate" else self.provider.transcribe_model

    def check(self, options: TranscribeOptions) -> None:
        """Refuse, before sending anything, a translation with a model that cannot translate."""
        model = self.model_for(options.task)
        if options.task == "translate" and not can_translate(model):
            raise errors.UnsupportedTask(f"{model} cannot translate; use whisper-large-v3 for translation")

    async def list_models(self) -> list[str]:
        """The model ids the server offers (``GET /models``)."""
        try:
            response = await self._client.get("/models", timeout=self._timeout(0))
        except httpx.TimeoutException as exc:
            raise errors.ApiTimeout(f"listing models at {self.base_url}: no answer in time") from exc
        except httpx.TransportError as exc:
            raise errors.ApiConnectionError(f"listing models at {self.base_url}: cannot connect "
                                            f"({type(exc).__name__}: {self._clean(str(exc))})") from None
        if response.status_code != 200:
            raise self._status_error(response, "listing models")
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        data = body.get("data") if isinstance(body, Mapping) else None
        if not isinstance(data, list):
            raise errors.InvalidResponse(f"listing models at {self.base_url}: the answer is not a model list")
        return sorted(str(m["id"]) for m in data if isinstance(m, Mapping) and "id" in m)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def transcribe(self, audio: ChunkAudio, options: TranscribeOptions) -> ChunkResult:
        """Send one chunk, retrying transient failures and stalls; see the module docstring."""
        self.check(options)
        model = self.model_for(options.task)
        endpoint = "/audio/translations" if options.task == "translate" else "/audio/transcriptions"
        form = build_form(model, options)
        attempt = abandoned = stalled = hedges = 0
        while True:
            attempt += 1
            tried = await self._attempt(audio, endpoint, form, attempt, stalled)
            abandoned, stalled, hedges = abandoned + tried.abandoned, stalled + tried.stalled, hedges + tried.hedges
            failure, delay = tried.outcome, tried.delay
            if isinstance(failure, httpx.Response):
                try:
                    result = self._success(failure, audio, options, model, attempt + hedges, abandoned)
                except errors.InvalidResponse as exc:
                    self.usage += Usage(failed_requests=1)
                    failure, delay = exc, self._backoff(attempt)
                else:
                    if tried.wait is not None:  # only a transcript teaches the deadline
                        self._deadlines.record(tried.wait, audio.chunk.duration)
                    return result
            if attempt >= self.options.max_attempts:
                raise failure
            self.usage += Usage(retries=1)
            log.info("%s; retry %d in %.1f s", failure, attempt, delay)
            await self._timer.sleep(delay)

    async def _attempt(self, audio: ChunkAudio, endpoint: str, form: dict[str, Any], attempt: int,
                       stalled: int) -> Tried:
        """One request (and its hedge, if it gets one): the 200 response (delay 0) or a
        retryable error and its delay."""
        name = audio.chunk.name
        async with self._slot():
            await self._pace(audio.chunk.duration)
            self.usage += Usage(requests=1)
            raced = await self._exchange(endpoint, form, audio, stalled, attempt >= self.options.max_attempts)
        outcome, counts = raced.outcome, (raced.abandoned, raced.stalled, raced.hedges)
        if isinstance(outcome, GivenUp):
            self.usage += Usage(failed_requests=1)
            # a stall cut at the learnt deadline is sent again at once: the server is not overloaded
            return Tried(errors.ApiTimeout(f"chunk {name}: {outcome}"),
                         0.0 if outcome.learnt else self._backoff(attempt), None, *counts)
        if isinstance(outcome, httpx.TransportError):
            self.usage += Usage(failed_requests=1)
            return Tried(errors.ApiConnectionError(f"chunk {name}: connection failed ({type(outcome).__name__}: "
                                                   f"{self._clean(str(outcome))})"), self._backoff(attempt), None,
                         *counts)
        response, whole = outcome
        if response.status_code == 200 and whole:
            return Tried(response, 0.0, raced.wait, *counts)
        self.usage += Usage(failed_requests=1)
        if response.status_code == 200:
            return Tried(errors.InvalidResponse(f"chunk {name}: the answer is over "
                                                f"{self.options.max_answer_bytes} bytes"), self._backoff(attempt),
                         None, *counts)
        return Tried(*await self._retryable_or_raise(response, audio, attempt), None, *counts)

    async def _exchange(self, endpoint: str, form: dict[str, Any], audio: ChunkAudio, stalled: int,
                        final: bool) -> Raced:
        """:meth:`_post` held to its deadlines, and hedged: what came of it (see :class:`Raced`).

        The conservative deadline counts from a copy's start; the learnt one (not on the
        ``final`` attempt) from its upload's end, and is looked at again as the engine learns.
        Near a run's end (:meth:`_may_hedge`) a late request gets a second copy: the first
        answer wins; a copy that gets none (a connection error, a timeout) while the other runs
        is dropped."""
        copies = [await self._launch(endpoint, form, audio)]
        raced = Raced(None)
        try:
            while True:
                for copy in [c for c in copies if c.task.done()]:
                    copies.remove(copy)
                    outcome = copy.outcome()
                    if not copies or not isinstance(outcome, (GivenUp, httpx.TransportError)):
                        raced.abandoned += self._abandon(copy, audio) if isinstance(outcome, GivenUp) else 0
                        raced.outcome, raced.wait = outcome, copy.wait()
                        return raced
                    self.usage += Usage(failed_requests=1)  # the other copy may still answer
                now = time.monotonic()
                for copy in [c for c in copies if now >= self._limit(c, audio, stalled, final)[0]]:
                    copies.remove(copy)
                    await cancel(copy.task)
                    learnt = self._limit(copy, audio, stalled, final)[1]
                    raced.abandoned += self._abandon(copy, audio)
                    raced.stalled = raced.stalled or learnt
                    if not copies:
                        said = "the learnt deadline" if learnt else "the deadline"
                        raced.outcome = GivenUp(f"no answer in {now - copy.started:.1f} s: given up at {said}",
                                                learnt)
                        return raced
                    self.usage += Usage(failed_requests=1)
                if not raced.hedges and len(copies) == 1 and self._may_hedge(copies[0], audio, stalled, final):
                    log.info("chunk %s: no answer yet, a second copy is sent", audio.chunk.name)
                    copies.append(await self._launch(endpoint, form, audio, hedge=True))
                    raced.hedges = 1
                    self.usage += Usage(requests=1, retries=1)
                await asyncio.wait({c.task for c in copies}, timeout=self._next_look(copies, audio, stalled, final))
        finally:  # runs before the caller sees ``raced``: the losers are counted in it
            for copy in copies:  # the losers, or every copy when this is cancelled
                await cancel(copy.task)
                raced.abandoned += self._abandon(copy, audio)

    async def _launch(self, endpoint: str, form: dict[str, Any], audio: ChunkAudio, hedge: bool = False) -> Copy:
        """Start one copy of a request; a hedge takes a free slot of its own (at once:
        :meth:`_may_hedge` saw one free and nobody waiting) for as long as it runs."""
        if hedge:
            await self._slots.acquire()
        upload = Upload(audio.data)
        started = time.monotonic()
        task = asyncio.ensure_future(self._post(endpoint, form, audio, upload))
        if hedge:
            task.add_done_callback(lambda _: self._slots.release())
        return Copy(task, upload, started, started + self.options.deadline(audio.chunk.duration, len(audio.data)))

    def _limit(self, copy: Copy, audio: ChunkAudio, stalled: int, final: bool) -> tuple[float, bool]:
        """When ``copy`` is given up on, and whether that is the learnt deadline (earlier than its cap)."""
        sent = copy.upload.sent_at
        learnt = None if final or sent is None or not self.options.adaptive_deadline else \
            self._deadlines.deadline(audio.chunk.duration, stalled)
        if learnt is None or sent is None or sent + learnt >= copy.cap:
            return copy.cap, False
        return sent + learnt, True

    def _may_hedge(self, copy: Copy, audio: ChunkAudio, stalled: int, final: bool) -> bool:
        """Whether ``copy`` gets a second copy now: hedging is on, it is not the last attempt, its
        upload is sent and its wait is past :meth:`Deadlines.hedge_after`, a slot is free and no
        request waits for one (a run's end), and no pacing or 429 pause is in force."""
        o = self.options
        if not (o.adaptive_deadline and o.hedge_requests) or final or copy.upload.sent_at is None:
            return False
        if o.rpm or o.audio_seconds_per_hour or self._pause.remaining() > 0 or self._fatal is not None:
            return False
        if self._slots.locked() or self._waiting:
            return False
        after = self._deadlines.hedge_after(audio.chunk.duration, stalled)
        return after is not None and time.monotonic() >= copy.upload.sent_at + after

    def _next_look(self, copies: list[Copy], audio: ChunkAudio, stalled: int, final: bool) -> float:
        """Seconds until something may change: a deadline, the hedge's time, or the next look at
        what the engine has learnt."""
        now = time.monotonic()
        times = [self._limit(c, audio, stalled, final)[0] for c in copies]
        after = self._deadlines.hedge_after(audio.chunk.duration, stalled)
        if len(copies) == 1 and after is not None and copies[0].upload.sent_at is not None:
            times.append(copies[0].upload.sent_at + after)
        return max(0.0, min([now + _RECHECK_SECONDS, *(t for t in times if t > now)]) - now)

    def _abandon(self, copy: Copy, audio: ChunkAudio) -> int:
        """Count ``copy``, given up on, as possibly billed if its upload was sent: 1, else 0."""
        if copy.upload.sent_at is None:
            return 0
        self.usage += Usage(abandoned_requests=1,
                            possibly_billed_seconds=billed_seconds(audio.chunk.duration) if self.bills else 0.0)
        return 1

    @contextlib.asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """One of the ``concurrency`` slots, counting the requests that wait for one."""
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._slots.release()

    async def _post(self, endpoint: str, form: dict[str, Any], audio: ChunkAudio,
                    upload: Upload | None = None) -> tuple[httpx.Response, bool]:
        """Send one request and read its answer, at most ``max_answer_bytes`` of it: the
        response, and whether it was read whole."""
        limit = self.options.max_answer_bytes
        files = {"file": (audio.filename, upload if upload is not None else audio.data, audio.mime_type)}
        async with self._client.stream("POST", endpoint, data=form, files=files,
                                       timeout=self._timeout(audio.chunk.duration)) as streamed:
            declared = streamed.headers.get("content-length", "")
            content = bytearray()
            whole = not (declared.isdigit() and int(declared) > limit)
            if whole:
                async for block in streamed.aiter_bytes():
                    content += block
                    if len(content) > limit:
                        whole = False
                        break
            response = httpx.Response(streamed.status_code, headers=streamed.headers,
                                      content=bytes(content) if whole else b"", request=streamed.request)
        return response, whole

    async def _pace(self, audio_seconds: float) -> None:
        """Wait for any 429 pause and for room under the client-side limits."""
        if self._fatal is not None:
            raise self._fatal
        await self._pause.wait()
        if self._rpm:
            await self._rpm.acquire(1)
        if self._audio:
            await self._audio.acquire(audio_seconds)
        await self._pause.wait()
        if self._fatal is not None:
            raise self._fatal

    async def _retryable_or_raise(self, response: httpx.Response, audio: ChunkAudio,
                                  attempt: int) -> tuple[errors.ApiError, float]:
        status = response.status_code
        error = self._status_error(response, f"chunk {audio.chunk.name}")
        if status in RETRY_STATUSES:
            wait = retry_after_seconds(response.headers)
            if wait is not None and wait > self.options.retry_cap_seconds:
                raise errors.RateLimited(f"{error} (the server asks to wait {wait:.0f} s, over the cap of "
                                         f"{self.options.retry_cap_seconds:.0f} s)", status, error.body,
                                         error.request_id)
            delay = wait if wait is not None else self._backoff(attempt)
            if status == 429:
                self._pause.pause_for(delay)
                error = errors.RateLimited(str(error), status, error.body, error.request_id)
            return error, delay
        if status == 404:
            error = await self._model_not_found(error)
        if isinstance(error, errors.AuthenticationError):
            self._fatal = error
        raise error

    def _status_error(self, response: httpx.Response, context: str) -> errors.ApiStatusError:
        status = response.status_code
        body = self._clean(response.text[:2000])
        message = _error_message(body) or response.reason_phrase
        request_id = response.headers.get("x-request-id")
        text = f"{context}: HTTP {status}: {message}"
        if status in (401, 403):
            return errors.AuthenticationError(
                f"{text}; the server refused the API key: check {self.provider.key_env}", status, body, request_id)
        cls = {400: errors.BadAudioRequest, 413: errors.PayloadTooLarge, 404: errors.ModelNotFound,
               429: errors.RateLimited}.get(status, errors.ApiStatusError)
        return cls(text, status, body, request_id)

    async def _model_not_found(self, error: errors.ApiStatusError) -> errors.ApiStatusError:
        try:
            available = await self.list_models()
        except (errors.SttError, httpx.HTTPError, ValueError):
            available = []
        offer = ", ".join(available) if available else "(the server did not list its models)"
        self._fatal = errors.ModelNotFound(f"{error}; the server offers: {offer}", error.status, error.body,
                                           error.request_id, available)
        return self._fatal  # type: ignore[return-value]

    def _success(self, response: httpx.Response, audio: ChunkAudio, options: TranscribeOptions,
                 model: str, attempt: int, abandoned: int = 0) -> ChunkResult:
        """The chunk result of a 200 answer; :class:`~errors.InvalidResponse` when it is no transcript."""
        try:
            body = transcript_body(response.content)
        except errors.InvalidResponse as exc:
            raise errors.InvalidResponse(f"chunk {audio.chunk.name}: {self._clean(str(exc))}") from None
        result = parse_verbose_json(body, chunk=audio.chunk, task=options.task, model=model,
                                    request_id=response.headers.get("x-request-id"), attempts=attempt)
        # the audio and the billing of the answered chunk (its requests, and those given up on,
        # were counted as they went)
        self.usage += dataclasses.replace(answered(model, audio.chunk.duration, self.bills), requests=0, retries=0)
        return dataclasses.replace(result, abandoned=abandoned) if abandoned else result

    def _timeout(self, audio_seconds: float) -> httpx.Timeout:
        return httpx.Timeout(self.options.read_timeout(audio_seconds), connect=self.options.connect_timeout)

    def _backoff(self, attempt: int) -> float:
        return backoff_seconds(attempt, self.options.backoff_base_seconds, self.options.backoff_max_seconds)

    def _clean(self, text: str) -> str:
        """Remove the key, in any form, from any text that might echo it back."""
        return scrub(text, self._secret_forms)


def _error_message(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip()[:300]
    if isinstance(parsed, Mapping):
        error = parsed.get("error")
        if isinstance(error, Mapping) and error.get("message"):
            return str(error["message"])[:300]
        if isinstance(error, str):
            return error[:300]
    return body.strip()[:300]
