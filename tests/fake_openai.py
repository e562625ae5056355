"""A scripted OpenAI-compatible server on 127.0.0.1 for the real ChatOpenAI client.

Each request to ``/v1/chat/completions`` takes the next reply of the script (or
asks a responder function), so a test states exactly what the "model" does:
plain answers, JSON for ``json_schema`` structured output, tool calls, streamed
answers, errors with ``Retry-After``, delays longer than the client's timeout,
malformed JSON, answers cut off at ``max_tokens``. Every request body is kept so
that tests can assert what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHARS_PER_TOKEN = 4


def tokens(text: str) -> int:
    """Count tokens the way this server bills them: four characters each."""
    return max(1, len(text) // CHARS_PER_TOKEN) if text else 0


@dataclass
class Reply:
    """What the server answers to one request."""

    content: str | None = None
    structured: Any = None
    """A JSON value: sent as content, or as a tool call when the request has tools."""
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)
    status: int = 200
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None
    body: bytes | None = None
    """A raw HTTP body that replaces the whole response."""

    @classmethod
    def text(cls, content: str, **kw: Any) -> Reply:
        """Answer with plain text."""
        return cls(content=content, **kw)

    @classmethod
    def json(cls, value: Any, **kw: Any) -> Reply:
        """Answer with a JSON value, as structured output or a tool call."""
        return cls(structured=value, **kw)

    @classmethod
    def tool(cls, name: str, args: Any, **kw: Any) -> Reply:
        """Answer with one tool call."""
        return cls(tool_calls=[(name, args)], **kw)

    @classmethod
    def error(cls, status: int, message: str = "scripted error", **kw: Any) -> Reply:
        """Answer with an HTTP error and an OpenAI-style error body."""
        return cls(status=status, message=message, **kw)

    @classmethod
    def rate_limited(cls, retry_after_ms: int = 20) -> Reply:
        """Answer 429 with a short Retry-After so the client retries quickly."""
        return cls.error(429, "rate limited", headers={"retry-after-ms": str(retry_after_ms)})

    @classmethod
    def truncated(cls, content: str, keep: float = 0.5) -> Reply:
        """Answer with the first part of content, cut off at the output limit."""
        return cls(content=content[: int(len(content) * keep)], finish_reason="length")


Responder = Callable[[dict[str, Any]], Reply]


class FakeOpenAI:
    """A scripted OpenAI-compatible chat completions server in a background thread."""

    def __init__(
        self, script: Iterable[Reply] = (), *, responder: Responder | None = None
    ) -> None:
        """Prepare the server with a script of replies, or a responder function."""
        self.script: list[Reply] = list(script)
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        """Request headers, names in lower case."""
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.handle_error = lambda request, address: None  # client went away
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL to hand to the client."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def push(self, *replies: Reply) -> None:
        """Add replies to the end of the script."""
        with self._lock:
            self.script.extend(replies)

    def start(self) -> FakeOpenAI:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(body)
            if self.script:
                return self.script.pop(0)
        if self.responder is not None:
            return self.responder(body)
        return Reply.error(500, "fake server: script exhausted",
                           headers={"x-should-retry": "false"})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if not self.path.endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                body = json.loads(raw)
                with fake._lock:
                    fake.headers.append({k.lower(): v for k, v in self.headers.items()})
                reply = fake._next(body)
                if reply.delay and fake._closing.wait(reply.delay):
                    return
                if reply.body is not None:
                    self._send_bytes(200, reply.body, "application/json", reply.headers)
                elif reply.status != 200:
                    error = {"message": reply.message, "type": "scripted", "code": reply.status}
                    self._send(reply.status, {"error": error}, reply.headers)
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._send(200, _completion(body, reply), reply.headers)

            def _send(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(data).encode(), "application/json", headers)

            def _send_bytes(
                self, status: int, data: bytes, kind: str, headers: dict[str, str] | None
            ) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], reply: Reply) -> None:
                full = _completion(body, reply)
                message = full["choices"][0]["message"]
                content = message.get("content") or ""
                base = {k: full[k] for k in ("id", "object", "created", "model")}
                base["object"] = "chat.completion.chunk"
                chunks = [{"role": "assistant", "content": ""}]
                chunks += [{"content": content[i : i + 16]} for i in range(0, len(content), 16)]
                for index, call in enumerate(message.get("tool_calls") or []):
                    chunks.append({"tool_calls": [{"index": index, **call}]})
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                events = [
                    {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
                    for d in chunks
                ]
                events.append({**base, "choices": [
                    {"index": 0, "delta": {}, "finish_reason": full["choices"][0]["finish_reason"]}
                ]})
                if (body.get("stream_options") or {}).get("include_usage"):
                    events.append({**base, "choices": [], "usage": full["usage"]})
                for event in events:
                    self._chunk(f"data: {json.dumps(event)}\n\n".encode())
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

            def do_GET(self) -> None:
                self._send(404, {"error": {"message": "only chat completions here"}})

        return Handler


def _prompt_text(body: dict[str, Any]) -> str:
    parts = []
    for message in body.get("messages", []):
        content = message.get("content")
        parts.append(content if isinstance(content, str) else json.dumps(content))
    return "\n".join(parts)


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    calls = list(reply.tool_calls)
    if reply.structured is not None:
        tools = body.get("tools") or []
        if tools and body.get("tool_choice") != "none":
            calls.append((tools[0]["function"]["name"], reply.structured))
        else:
            message["content"] = json.dumps(reply.structured)
    if calls:
        message["content"] = message["content"] or None
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": name, "arguments": args if isinstance(args, str)
                          else json.dumps(args)}}
            for i, (name, args) in enumerate(calls)
        ]
    finish = reply.finish_reason
    if calls and finish == "stop":
        finish = "tool_calls"
    out_text = (message.get("content") or "") + "".join(
        c["function"]["arguments"] for c in message.get("tool_calls", [])
    )
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit and tokens(out_text) > limit and message.get("content"):
        message["content"] = message["content"][: limit * CHARS_PER_TOKEN]
        out_text = message["content"]
        finish = "length"
    prompt_tokens, completion_tokens = reply.usage or (
        tokens(_prompt_text(body)), tokens(out_text)
    )
    return {
        "id": f"chatcmpl-fake-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish,
                     "logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
