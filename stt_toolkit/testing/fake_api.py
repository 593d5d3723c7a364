"""A real HTTP server on 127.0.0.1 that speaks the transcription API, with scripted faults.

Tests and benchmarks use it to exercise the HTTP engine for real (sockets, multipart,
timeouts, dropped connections)::

    with FakeWhisperServer() as server:
        server.script(Action(status=429, headers={"retry-after": "1"}), Action(drop=True))
        engine = ApiEngine(GROQ, api_key="test", base_url=server.url)

Scripted actions are used by the requests in arrival order; after them ``server.default``
(a function of the request) decides. The server counts what it sees: requests, the most in
flight at once, successful answers per distinct file.

A 200 answer without a scripted body is ``server.transcript`` (made-up words naming the file),
or, with ``server.recognizer`` set, what a real recognizer hears in the uploaded bytes (a
benchmark can hand it a local Whisper model, see ``bench/vad_recognizer.py``).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import select
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import soundfile as sf

from ..engines.limits import REAL_TIME, Timer

#: How a server lays out words in verbose_json (see :func:`in_shape`).
Shape = Literal["api", "faster-whisper"]


@dataclass(frozen=True)
class Action:
    """What the server does with one request: wait ``delay`` seconds, then answer ``status``
    with ``body`` (a default transcript for 200; ``bytes`` are sent as they are, anything else
    as JSON) as ``content_type`` with ``headers``, or ``drop`` the connection without an
    answer. With ``drip``, the status line and headers go out one byte every ``drip`` seconds
    (a server that holds a client by never quite answering); with ``drip_body``, the head
    goes out at once and the body one byte every ``drip_body`` seconds (bytes trickling).
    ``hang`` is a stall before anything else: ``hang`` seconds without a byte, cut short
    when the client gives up (then nothing is sent and the request is recorded as given up)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    content_type: str = "application/json"
    drip: float = 0.0
    drip_body: float = 0.0
    hang: float = 0.0


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it. ``status`` is -1 when the client went away before the
    whole answer was sent (``client_left``: it gave up, say at its deadline), 0 for a drop."""

    path: str
    fields: dict[str, list[str]]
    filename: str | None
    file_sha: str | None
    audio_seconds: float
    authorization: str
    status: int
    started: float
    ended: float
    client_left: bool = False


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, list[str]], tuple[str, bytes] | None]:
    """Form fields (repeated names kept) and the ``file`` part of a multipart body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        return {}, None
    fields: dict[str, list[str]] = {}
    upload = None
    for part in body.split(b"--" + match.group(1).encode())[1:-1]:
        head, _, payload = part.partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        payload = payload[:-2] if payload.endswith(b"\r\n") else payload
        if filename:
            upload = (filename.group(1), payload)
        elif name:
            fields.setdefault(name.group(1), []).append(payload.decode())
    return fields, upload


class FakeWhisperServer:
    """The server; a context manager that starts it in a thread and stops it.

    ``recognizer``: None (the default), or a function of the uploaded file's bytes returning a
    verbose_json body; when set, a 200 answer without a scripted body is
    ``in_shape(recognizer(audio_bytes), shape)`` instead of ``transcript(sha, seconds)``. It is
    called from the server's request threads, possibly several at once."""

    def __init__(self, latency: Callable[[float], float] | None = None, rpm: int | None = None,
                 timer: Timer = REAL_TIME, shape: Shape = "api") -> None:
        self.latency = latency or (lambda audio_seconds: 0.0)
        self.rpm = rpm
        self.shape = shape  # of the default transcripts; scripted bodies are sent as they are
        self.timer = timer  # the rpm window and the records' times
        self.records: list[RequestRecord] = []
        self.models = ["whisper-large-v3", "whisper-large-v3-turbo"]
        self.models_body: Any = None  # if set, GET /models answers this instead of the list
        self.default: Callable[[str, dict[str, list[str]], float], Action] = self._answer
        self.transcript: Callable[[str, float], dict[str, Any]] = default_transcript
        self.recognizer: Callable[[bytes], dict[str, Any]] | None = None
        self.max_in_flight = 0
        self._in_flight = 0
        self._script: deque[Action] = deque()
        self._lock = threading.Lock()
        self._recent: deque[float] = deque()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL to give a client (the API root, like ``https://api.groq.com/openai/v1``)."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/openai/v1"

    def script(self, *actions: Action) -> None:
        """Queue actions for the next requests, in order."""
        with self._lock:
            self._script.extend(actions)

    def successes(self) -> Counter[str]:
        """How many times each distinct file got a 200 answer."""
        return Counter(r.file_sha for r in self.records if r.status == 200 and r.file_sha)

    def __enter__(self) -> FakeWhisperServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, path: str, fields: dict[str, list[str]], audio_seconds: float) -> Action:
        if self.rpm is not None and not self._rpm_allows():
            return Action(status=429, body={"error": {"message": "Rate limit reached (requests per minute)",
                                                      "type": "requests", "code": "rate_limit_exceeded"}},
                          headers={"retry-after": "1"})
        if fields.get("model", [""])[0] not in self.models:
            return Action(status=404, body={"error": {"message": "The model does not exist",
                                                      "code": "model_not_found"}})
        return Action(delay=self.latency(audio_seconds))

    def _rpm_allows(self) -> bool:
        now = self.timer.now()
        with self._lock:
            while self._recent and self._recent[0] <= now - 60:
                self._recent.popleft()
            if len(self._recent) >= (self.rpm or 0):
                return False
            self._recent.append(now)
            return True

    def _next_action(self, path: str, fields: dict[str, list[str]], audio_seconds: float) -> Action:
        with self._lock:
            scripted = self._script.popleft() if self._script else None
        return scripted or self.default(path, fields, audio_seconds)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer in one go, as real servers do

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep tests quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                if self.path.endswith("/models"):
                    listing = {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]}
                    self._send(200, listing if server.models_body is None else server.models_body)
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802 - stdlib naming
                started = server.timer.now()
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                fields, upload = parse_multipart(self.headers.get("content-type", ""), body)
                sha = hashlib.sha256(upload[1]).hexdigest() if upload else None
                seconds = _audio_seconds(upload[1]) if upload else 0.0
                with server._lock:
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                try:
                    status = self._act(server._next_action(self.path, fields, seconds), sha, seconds,
                                       upload[1] if upload else b"")
                finally:
                    with server._lock:
                        server._in_flight -= 1
                        server.records.append(RequestRecord(
                            self.path, fields, upload[0] if upload else None, sha, seconds,
                            self.headers.get("authorization", ""), status, started, server.timer.now(),
                            status == -1))

            def _act(self, action: Action, sha: str | None, seconds: float, audio: bytes = b"") -> int:
                if action.hang and not self._hold(action.hang):
                    return -1  # the client gave up during the stall
                time.sleep(action.delay)
                if action.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return 0
                body = action.body
                if body is None and action.status == 200:
                    recognizer = server.recognizer
                    answer = recognizer(audio) if recognizer is not None else server.transcript(sha or "", seconds)
                    body = in_shape(answer, server.shape)
                try:
                    self._send(action.status, body if body is not None else {"error": {"message": "error"}},
                               action.headers, action.content_type, action.drip, action.drip_body)
                except (BrokenPipeError, ConnectionResetError):
                    return -1  # the client gave up (timeout) before the answer
                return action.status

            def _hold(self, seconds: float) -> bool:
                """Send nothing for ``seconds``; False as soon as the client closes its end."""
                until = time.monotonic() + seconds
                while (left := until - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                    if readable:
                        try:
                            if not self.connection.recv(1, socket.MSG_PEEK):
                                return False  # end of stream: the client closed the connection
                        except OSError:
                            return False
                        time.sleep(min(left, 0.05))  # bytes of a next request: keep holding
                return True

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
                      content_type: str = "application/json", drip: float = 0.0,
                      drip_body: float = 0.0) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                fields = {"content-type": content_type, "content-length": str(len(data)),
                          "x-request-id": f"req_{time.monotonic_ns():x}", **(headers or {})}
                if drip:
                    head = f"HTTP/1.1 {status} OK\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
                    for byte in (head + "\r\n").encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(drip)
                    self.wfile.write(data)
                    return
                self.send_response(status)
                for name, value in fields.items():
                    self.send_header(name, value)
                self.end_headers()
                if drip_body:
                    self.wfile.flush()
                    for byte in data:
                        time.sleep(drip_body)
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    return
                self.wfile.write(data)

        return Handler


def _audio_seconds(data: bytes) -> float:
    try:
        return float(sf.info(io.BytesIO(data)).duration)
    except (sf.LibsndfileError, RuntimeError):
        return 0.0


def in_shape(body: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """A verbose_json body as a server of ``shape`` sends it. ``"api"`` (OpenAI's and Groq's):
    words bare (``"Okay,"``) and only at the top level, segments without words.
    ``"faster-whisper"`` (servers built on it): each word with its leading space, at the top
    level and inside its segment."""
    words = [dict(w, word=str(w["word"]).strip()) for w in body.get("words", [])]
    segments = [{k: v for k, v in s.items() if k != "words"} for s in body.get("segments", [])]
    if shape == "faster-whisper":
        words = [dict(w, word=" " + w["word"]) for w in words]
        for segment in segments:
            segment["words"] = [w for w in words if segment["start"] <= (w["start"] + w["end"]) / 2 < segment["end"]]
    return {**body, "words": words, "segments": segments}


def default_transcript(sha: str, audio_seconds: float) -> dict[str, Any]:
    """A verbose_json answer naming the file: one word a second, one segment."""
    count = max(1, int(audio_seconds))
    tokens = [f"w{sha[:6]}_{i}" for i in range(count)]
    words = [{"word": token, "start": float(i), "end": i + 0.8} for i, token in enumerate(tokens)]
    text = " ".join(tokens)
    return {
        "task": "transcribe", "language": "English", "duration": f"{audio_seconds:.2f}", "text": text,
        "segments": [{"id": 0, "seek": 0, "start": 0.0, "end": audio_seconds, "text": " " + text,
                      "tokens": [], "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.5,
                      "no_speech_prob": 0.01}],
        "words": words, "x_groq": {"id": f"req_{sha[:12]}"},
    }
