#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A mock LLM / MCP upstream for Shroud's end-to-end tests and gateway-up.

Stdlib only. It records exactly what it received (headers and body bytes, even
when the request is reset mid-way) and answers like OpenAI chat completions,
OpenAI Responses, Anthropic messages or an MCP server, as JSON or SSE.

By default it ECHOES the user's text back (the last user message; for MCP
`tools/call`, the first string argument), so a test sees the placeholders the
filter generated come back and can check they are rehydrated. When an LLM
request declares `tools`, the answer also CALLS the first tool with the
arguments `{"text": <the echoed text>}` (chat `tool_calls`, a Responses
`function_call` item, an Anthropic `tool_use` block; streamed as argument
deltas of the same size as the text deltas). Streams use each provider's
full event sequence, as the official SDKs parse it.

Control, per request (request headers, which pass through Envoy):
  x-mock-split-at: N      stream the echoed text as two deltas split at
                          character N
  x-mock-delta-chars: N   otherwise one delta per N characters (default 7)
  x-mock-chunk-bytes: N   write the response body N bytes per write
                          (default: one write per SSE event / whole JSON)
  x-mock-hold-after: N    stop after N writes until POST /__mock/release
  x-mock-delay-ms: N      wait N ms (at most 5000) before answering
Control endpoint (direct to the mock, not through Envoy):
  GET    /__mock/requests  what was received, oldest first (JSON)
  DELETE /__mock/requests  forget it
  POST   /__mock/next      {"status":200,"headers":{..},"body":"..",
                            "chunk_bytes":N} or "chunks":[".."]: the exact
                            answer to the next request (queued, FIFO);
                            "hold_after":N stops after N chunks until
                            POST /__mock/release (at most 30 s);
                            "template":true expands {{upstream.PATH}} in
                            "body"/"chunks" against the JSON this request
                            carried (tests/conformance/README.md)
  DELETE /__mock/next      drop scripted answers nobody consumed
  POST   /__mock/release   let a held answer continue
  GET    /__mock/health    200
"""
import argparse
import base64
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
RECEIVED = []  # dicts: method, path, headers, body (text), complete
SCRIPTED = []  # queued exact answers
RELEASE = threading.Event()  # lets a "hold_after" answer continue


def _text_of(content):
    """Text of an OpenAI/Anthropic content field (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def echo_text(surface, doc):
    """What the model "says": the last user text it received."""
    try:
        if surface in ("chat", "anthropic"):
            users = [m for m in doc.get("messages", []) if m.get("role") == "user"]
            return _text_of(users[-1].get("content")) if users else ""
        if surface == "responses":
            inp = doc.get("input", "")
            if isinstance(inp, str):
                return inp
            users = [m for m in inp if isinstance(m, dict) and m.get("role") == "user"]
            return _text_of(users[-1].get("content")) if users else ""
        if surface == "mcp":
            args = (doc.get("params") or {}).get("arguments") or {}
            return next((v for v in args.values() if isinstance(v, str)), "")
    except (AttributeError, IndexError, TypeError):
        pass
    return ""


TEMPLATE = re.compile(r"\{\{(.*?)\}\}")


def _lookup(value, path):
    for segment in path.split("."):
        m = re.fullmatch(r"([^\[]*)((?:\[-?\d+\])*)", segment)
        if not m:
            raise KeyError(path)
        if m.group(1):
            value = value[m.group(1)]
        for index in re.findall(r"\[(-?\d+)\]", m.group(2)):
            value = value[int(index)]
    return value


def render(template, received):
    """Shroud's conformance templating; mirrors host-test/src/conformance.rs."""
    def expand(m):
        expr = m.group(1).strip()
        path, _, flt = expr.partition("|")
        path = path.strip()
        if not path.startswith("upstream."):
            raise ValueError(f"template {expr!r}: paths start with upstream.")
        value = _lookup(received, path[len("upstream."):])
        if not isinstance(value, str):
            return json.dumps(value, separators=(",", ":"))
        if flt.strip():
            a, _, b = flt.strip()[len("chars:"):].partition(":")
            value = value[int(a): int(b) if b else None]
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return TEMPLATE.sub(expand, template)


def tool_call(surface, doc):
    """(name, arguments JSON) of the tool the "model" calls: the first tool
    the request declares, called with the echoed text; None without tools."""
    tools = doc.get("tools") if isinstance(doc, dict) else None
    if surface not in ("chat", "responses", "anthropic") or not isinstance(tools, list) or not tools:
        return None
    first = tools[0] if isinstance(tools[0], dict) else {}
    name = (first.get("function") or {}).get("name") if surface == "chat" else first.get("name")
    return name or "tool", json.dumps({"text": echo_text(surface, doc)})


def deltas(text, split_at, size=7):
    if split_at is not None:
        k = max(0, min(len(text), split_at))
        return [text[:k], text[k:]]
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def sse(event, data):
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {payload}\n\n"


def answer(surface, doc, stream, split_at, delta_chars=7):
    """(content-type, [body pieces]) in the surface's own shape."""
    text = echo_text(surface, doc)
    model = doc.get("model", "mock-model") if isinstance(doc, dict) else "mock-model"
    call = tool_call(surface, doc)
    if surface == "chat":
        return _chat(text, model, call, stream, split_at, delta_chars)
    if surface == "responses":
        return _responses(text, model, call, stream, split_at, delta_chars)
    if surface == "anthropic":
        return _anthropic(text, model, call, stream, split_at, delta_chars)
    return _mcp(doc, text, stream)


def _chat(text, model, call, stream, split_at, delta_chars):
    finish = "tool_calls" if call else "stop"
    if not stream:
        message = {"role": "assistant", "content": text}
        if call:
            message["tool_calls"] = [{"id": "call_mock", "type": "function",
                                      "function": {"name": call[0], "arguments": call[1]}}]
        return "application/json", [json.dumps({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})]
    base = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model}

    def chunk(delta, finish_reason=None):
        return sse(None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]})

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": d}) for d in deltas(text, split_at, delta_chars)]
    if call:
        out.append(chunk({"tool_calls": [{"index": 0, "id": "call_mock", "type": "function",
                                          "function": {"name": call[0], "arguments": ""}}]}))
        out += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": d}}]})
                for d in deltas(call[1], split_at, delta_chars)]
    out += [chunk({}, finish), sse(None, "[DONE]")]
    return "text/event-stream", out


def _responses(text, model, call, stream, split_at, delta_chars):
    part = {"type": "output_text", "text": text, "annotations": []}
    message = {"type": "message", "id": "msg_mock", "status": "completed", "role": "assistant",
               "content": [part]}
    output = [message]
    if call:
        function_call = {"type": "function_call", "id": "fc_mock", "call_id": "call_mock",
                         "name": call[0], "arguments": call[1], "status": "completed"}
        output.append(function_call)
    response = {"id": "resp_mock", "object": "response", "created_at": 0, "status": "completed",
                "model": model, "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
                "tools": [], "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
                                       "input_tokens_details": {"cached_tokens": 0},
                                       "output_tokens_details": {"reasoning_tokens": 0}}}
    if not stream:
        return "application/json", [json.dumps(response)]
    events = []

    def event(kind, **fields):
        events.append(sse(kind, {"type": kind, "sequence_number": len(events), **fields}))

    started = {**response, "status": "in_progress", "output": [], "usage": None}
    event("response.created", response=started)
    event("response.in_progress", response=started)
    where = {"item_id": "msg_mock", "output_index": 0}
    event("response.output_item.added", output_index=0,
          item={**message, "status": "in_progress", "content": []})
    event("response.content_part.added", **where, content_index=0, part={**part, "text": ""})
    for d in deltas(text, split_at, delta_chars):
        event("response.output_text.delta", **where, content_index=0, delta=d, logprobs=[])
    event("response.output_text.done", **where, content_index=0, text=text, logprobs=[])
    event("response.content_part.done", **where, content_index=0, part=part)
    event("response.output_item.done", output_index=0, item=message)
    if call:
        event("response.output_item.added", output_index=1,
              item={**function_call, "arguments": "", "status": "in_progress"})
        for d in deltas(call[1], split_at, delta_chars):
            event("response.function_call_arguments.delta", item_id="fc_mock", output_index=1, delta=d)
        event("response.function_call_arguments.done", item_id="fc_mock", output_index=1,
              name=call[0], arguments=call[1])
        event("response.output_item.done", output_index=1, item=function_call)
    event("response.completed", response=response)
    return "text/event-stream", events


def _anthropic(text, model, call, stream, split_at, delta_chars):
    stop = "tool_use" if call else "end_turn"
    content = [{"type": "text", "text": text}]
    if call:
        content.append({"type": "tool_use", "id": "toolu_mock", "name": call[0],
                        "input": json.loads(call[1])})
    if not stream:
        return "application/json", [json.dumps({
            "id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": stop,
            "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 1}})]
    out = [sse("message_start", {"type": "message_start", "message": {
               "id": "msg_mock", "type": "message", "role": "assistant", "model": model, "content": [],
               "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 1, "output_tokens": 0}}}),
           sse("content_block_start", {"type": "content_block_start", "index": 0,
                                       "content_block": {"type": "text", "text": ""}})]
    if call:
        out.append(sse("ping", {"type": "ping"}))
    out += [sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                        "delta": {"type": "text_delta", "text": d}})
            for d in deltas(text, split_at, delta_chars)]
    out.append(sse("content_block_stop", {"type": "content_block_stop", "index": 0}))
    if call:
        out.append(sse("content_block_start", {"type": "content_block_start", "index": 1, "content_block": {
            "type": "tool_use", "id": "toolu_mock", "name": call[0], "input": {}}}))
        out += [sse("content_block_delta", {"type": "content_block_delta", "index": 1,
                                            "delta": {"type": "input_json_delta", "partial_json": d}})
                for d in deltas(call[1], split_at, delta_chars)]
        out.append(sse("content_block_stop", {"type": "content_block_stop", "index": 1}))
    out += [sse("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                  "usage": {"output_tokens": 1}}),
            sse("message_stop", {"type": "message_stop"})]
    return "text/event-stream", out


def _mcp(doc, text, stream):
    """An MCP JSON-RPC answer."""
    rid = doc.get("id") if isinstance(doc, dict) else None
    method = doc.get("method") if isinstance(doc, dict) else None
    if method == "initialize":
        result = {"protocolVersion": "2025-06-18", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "mock-mcp", "version": "0.1.0"}}
    elif method == "tools/list":
        result = {"tools": [{"name": "echo", "description": "Echoes its text.",
                             "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}}]}
    else:
        result = {"content": [{"type": "text", "text": text}], "isError": False}
    body = {"jsonrpc": "2.0", "id": rid, "result": result}
    if stream:
        return "text/event-stream", [sse("message", body)]
    return "application/json", [json.dumps(body)]


SURFACES = {"/v1/chat/completions": "chat", "/v1/responses": "responses", "/v1/messages": "anthropic"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "shroud-mock/1"
    # Headers and body are separate writes: with Nagle on, the body waits for
    # the peer's delayed ACK (~40 ms on Linux) and every answer looks slow.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- body reading that survives resets -------------------------------
    def _read_body(self, record):
        chunks = []
        try:
            if self.headers.get("transfer-encoding", "").lower() == "chunked":
                while True:
                    line = self.rfile.readline(65537)
                    if not line:
                        raise ConnectionError("eof in chunk size")
                    size = int(line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass
                        break
                    data = self.rfile.read(size)
                    chunks.append(data)
                    record["body_bytes"] = b"".join(chunks)
                    if len(data) < size:
                        raise ConnectionError("eof in chunk")
                    self.rfile.readline(3)
            else:
                length = int(self.headers.get("content-length") or 0)
                data = self.rfile.read(length) if length else b""
                chunks.append(data)
                if len(data) < length:
                    raise ConnectionError("eof in body")
            record["complete"] = True
        except (ConnectionError, OSError, ValueError):
            record["complete"] = False
        record["body_bytes"] = b"".join(chunks)
        return record["body_bytes"]

    def _record(self):
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "body_bytes": b"", "complete": False, "time": time.time()}
        with LOCK:
            RECEIVED.append(record)
        return record

    # ---- writing ----------------------------------------------------------
    def _send(self, status, content_type, pieces, chunk_bytes=None, extra_headers=None, hold_after=None):
        body = "".join(pieces).encode() if pieces and isinstance(pieces[0], str) else b"".join(pieces)
        self.send_response(status)
        self.send_header("content-type", content_type)
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        streaming = content_type.startswith("text/event-stream") or chunk_bytes or len(pieces) > 1
        if not streaming:
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            return
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        if chunk_bytes:
            writes = [body[i : i + chunk_bytes] for i in range(0, len(body), chunk_bytes)]
        else:
            writes = [p.encode() if isinstance(p, str) else p for p in pieces]
        for i, w in enumerate(writes):
            if hold_after is not None and i == hold_after:
                RELEASE.wait(30)
                RELEASE.clear()
            if w:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(w), w))
                self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _json(self, status, obj):
        self._send(status, "application/json", [json.dumps(obj)])

    # ---- control ----------------------------------------------------------
    def _control(self):
        if self.path == "/__mock/health":
            return self._json(200, {"ok": True})
        if self.path == "/__mock/requests":
            if self.command == "DELETE":
                with LOCK:
                    RECEIVED.clear()
                return self._json(200, {"cleared": True})
            with LOCK:
                out = [{"method": r["method"], "path": r["path"], "headers": r["headers"],
                        "body": r["body_bytes"].decode("utf-8", "replace"),
                        "body_b64": base64.b64encode(r["body_bytes"]).decode(),
                        "complete": r["complete"]} for r in RECEIVED]
            return self._json(200, out)
        if self.path == "/__mock/next" and self.command == "DELETE":
            with LOCK:
                SCRIPTED.clear()
            return self._json(200, {"cleared": True})
        if self.path == "/__mock/next" and self.command == "POST":
            length = int(self.headers.get("content-length") or 0)
            spec = json.loads(self.rfile.read(length) or b"{}")
            with LOCK:
                SCRIPTED.append(spec)
            return self._json(200, {"queued": len(SCRIPTED)})
        if self.path == "/__mock/release" and self.command == "POST":
            RELEASE.set()
            return self._json(200, {"released": True})
        return self._json(404, {"error": "unknown control endpoint"})

    # ---- upstream ---------------------------------------------------------
    def _handle(self):
        if self.path.startswith("/__mock/"):
            return self._control()
        record = self._record()
        raw = self._read_body(record)
        if not record["complete"]:
            self.close_connection = True
            return
        with LOCK:
            scripted = SCRIPTED.pop(0) if SCRIPTED else None
        if scripted is not None:
            pieces = scripted.get("chunks") or [scripted.get("body", "")]
            if scripted.get("template"):
                try:
                    received = json.loads(raw) if raw else None
                except ValueError:
                    received = None
                try:
                    pieces = [render(p, received) for p in pieces]
                except (KeyError, IndexError, TypeError, ValueError) as e:
                    return self._json(599, {"error": f"mock template: {e}"})
            headers = dict(scripted.get("headers") or {})
            ctype = headers.pop("content-type", "application/json")
            return self._send(int(scripted.get("status", 200)), ctype, pieces,
                              scripted.get("chunk_bytes"), headers, scripted.get("hold_after"))
        path = self.path.split("?")[0]
        surface = SURFACES.get(path) or ("mcp" if path.startswith("/mcp") else None)
        if surface is None:
            return self._json(200, {"echo_path": self.path, "body": raw.decode("utf-8", "replace")})
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            return self._json(400, {"error": {"message": "mock: invalid JSON"}})
        if surface == "mcp":
            stream = "text/event-stream" in self.headers.get("accept", "") and \
                "application/json" not in self.headers.get("accept", "")
        else:
            stream = bool(isinstance(doc, dict) and doc.get("stream"))
        split_at = self.headers.get("x-mock-split-at")
        chunk_bytes = self.headers.get("x-mock-chunk-bytes")
        hold_after = self.headers.get("x-mock-hold-after")
        delta_chars = max(1, int(self.headers.get("x-mock-delta-chars") or 7))
        delay_ms = min(5000, max(0, int(self.headers.get("x-mock-delay-ms") or 0)))
        if delay_ms:
            time.sleep(delay_ms / 1000)
        ctype, pieces = answer(surface, doc, stream, int(split_at) if split_at else None, delta_chars)
        self._send(200, ctype, pieces, int(chunk_bytes) if chunk_bytes else None, None,
                   int(hold_after) if hold_after else None)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


def main():
    p = argparse.ArgumentParser(description="Shroud's mock LLM/MCP upstream")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    a = p.parse_args()
    server = ThreadingHTTPServer((a.host, a.port), Handler)
    server.daemon_threads = True
    print(f"mock upstream listening on http://{a.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
