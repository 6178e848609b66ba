# SPDX-License-Identifier: Apache-2.0
"""Shroud through REAL HTTP via a REAL Envoy (1.40, V8) with the built filter.

Values below are made up for these tests; none is a real credential.
"""
import http.client
import json
import re
import subprocess
import time

import pytest

from conftest import ROOT, TIMEOUT, free_port, render, stop, wait_until

EMAIL = "alice.liddell@wonderland.example"
OPENAI_KEY = "sk-proj-Zr4Qm8Tn2Vx6Lp0Kc9Hs3Wd7Fb1Jg5YeA2uN"
PASSWORD = "Xk9#mP2qL7vR!tW3"
CANARIES = [EMAIL, OPENAI_KEY, PASSWORD]
MASK_TEXT = f"Please email {EMAIL} about the invoice."


def chat(text, stream=False):
    return {"model": "gpt-4o-mini", "stream": stream,
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]}


def responses(text, stream=False):
    return {"model": "gpt-4o-mini", "stream": stream,
            "input": [{"role": "user", "content": [{"type": "input_text", "text": text}]}]}


def anthropic(text, stream=False):
    return {"model": "claude-test", "max_tokens": 64, "stream": stream,
            "messages": [{"role": "user", "content": text}]}


def mcp(text, stream=False):
    return {"jsonrpc": "2.0", "id": 42, "method": "tools/call",
            "params": {"name": "echo", "arguments": {"text": text}}}


SURFACES = {
    "chat": ("/v1/chat/completions", chat),
    "responses": ("/v1/responses", responses),
    "anthropic": ("/v1/messages", anthropic),
    "mcp": ("/mcp", mcp),
}
LLM_SURFACES = ["chat", "responses", "anthropic"]


def headers_for(surface, stream=False, extra=None):
    h = dict(extra or {})
    if surface == "mcp":
        h["accept"] = "text/event-stream" if stream else "application/json, text/event-stream"
    return h


def send(gateway, surface, text, stream=False, extra=None):
    path, build = SURFACES[surface]
    return gateway.post(path, body=build(text, stream), headers=headers_for(surface, stream, extra))


def sse_payloads(body):
    out = []
    for event in body.decode("utf-8").replace("\r\n", "\n").split("\n\n"):
        for line in event.split("\n"):
            if line.startswith("data:"):
                data = line[5:].strip()
                if data != "[DONE]":
                    out.append(json.loads(data))
    return out


def answer_text(surface, resp, stream):
    """The assistant's text as a client library would assemble it."""
    if not stream:
        doc = resp.json()
        return {
            "chat": lambda: doc["choices"][0]["message"]["content"],
            "responses": lambda: doc["output"][0]["content"][0]["text"],
            "anthropic": lambda: doc["content"][0]["text"],
            "mcp": lambda: doc["result"]["content"][0]["text"],
        }[surface]()
    events = sse_payloads(resp.body)
    if surface == "chat":
        return "".join(e["choices"][0]["delta"].get("content", "") for e in events if e.get("choices"))
    if surface == "responses":
        return "".join(e["delta"] for e in events if e.get("type") == "response.output_text.delta")
    if surface == "anthropic":
        return "".join(e["delta"]["text"] for e in events if e.get("type") == "content_block_delta")
    return "".join(e["result"]["content"][0]["text"] for e in events)


def upstream_text(surface, record):
    """The user text the upstream received."""
    doc = json.loads(record["body"])
    return {
        "chat": lambda: doc["messages"][-1]["content"],
        "responses": lambda: doc["input"][0]["content"][0]["text"],
        "anthropic": lambda: doc["messages"][-1]["content"],
        "mcp": lambda: doc["params"]["arguments"]["text"],
    }[surface]()


def last_received(mock, path):
    records = [r for r in mock.received() if r["path"] == path]
    assert records, f"the upstream received nothing on {path}"
    return records[-1]


def assert_no_canary_upstream(mock):
    for record in mock.received():
        blob = record["body"] + json.dumps(record["headers"])
        for canary in CANARIES:
            assert canary not in blob, f"upstream received a raw value on {record['path']}"


def assert_error_shape(surface, resp, rid=42):
    doc = resp.json()
    if surface == "anthropic":
        assert doc["type"] == "error" and doc["error"]["message"], doc
        return doc["error"]["message"]
    if surface == "mcp":
        assert doc["jsonrpc"] == "2.0" and doc["error"]["message"], doc
        assert doc["id"] == rid, doc
        return doc["error"]["message"]
    assert doc["error"]["message"], doc
    return doc["error"]["message"]


# ---------------------------------------------------------------------------
# configs


@pytest.mark.parametrize("template", ["envoy.yaml", "envoy-nofilter.yaml"])
def test_shipped_configs_validate(envoy_bin, wasm_path, tmp_path, template):
    config = render(tmp_path, "v", wasm_path, 18000, 10000, 9901,
                    ROOT / "envoy-config" / "plugin-config.json", template=template)
    out = subprocess.run([envoy_bin, "--mode", "validate", "-c", str(config)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # And as shipped (relative wasm path), when the default target dir is used.
    default_wasm = ROOT / "target" / "wasm32-wasip1" / "release" / "shroud_filter.wasm"
    if default_wasm.is_file():
        out = subprocess.run([envoy_bin, "--mode", "validate", "-c", f"envoy-config/{template}"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert out.returncode == 0, out.stdout + out.stderr


def test_invalid_plugin_config_is_refused(envoy_bin, wasm_path, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"limits": {"max_body": 1}}')
    config = render(tmp_path, "bad", wasm_path, 18000, free_port(), free_port(), bad)
    out = subprocess.run([envoy_bin, "--mode", "validate", "-c", str(config)],
                         capture_output=True, text=True, timeout=120)
    log = out.stdout + out.stderr
    assert out.returncode != 0, log
    assert "invalid plugin configuration: limits.max_body" in log, log
    # A real start refuses too: Envoy exits instead of serving unfiltered.
    proc = subprocess.Popen([envoy_bin, "-c", str(config), "--disable-hot-restart", "--concurrency", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        stop(proc)
    assert proc.returncode != 0
    assert "limits.max_body" in output


# ---------------------------------------------------------------------------
# request side


@pytest.mark.parametrize("surface", list(SURFACES))
def test_clean_request_passes_unchanged(gateway, mock, surface):
    mock.clear()
    path, build = SURFACES[surface]
    raw = json.dumps(build("What is the capital of France?"), indent=1).encode()
    resp = gateway.post(path, body=raw, headers=headers_for(surface))
    assert resp.status == 200, resp.text
    assert resp.header("x-shroud-action") == "allow"
    assert resp.header("x-shroud-categories") is None
    record = last_received(mock, path)
    assert record["complete"]
    assert record["body"].encode() == raw  # byte for byte, formatting included
    assert answer_text(surface, resp, False) == "What is the capital of France?"


def test_non_llm_traffic_is_not_touched(gateway, mock):
    mock.clear()
    resp = gateway.post("/internal/notes", body={"note": MASK_TEXT}, headers={"accept-encoding": "gzip"})
    assert resp.status == 200
    assert resp.header("x-shroud-action") is None
    record = last_received(mock, "/internal/notes")
    assert EMAIL in record["body"]
    assert record["headers"].get("accept-encoding") == "gzip"


@pytest.mark.parametrize("surface", list(SURFACES))
def test_upstream_never_sees_masked_value(gateway, mock, surface):
    mock.clear()
    resp = send(gateway, surface, MASK_TEXT, extra={"accept-encoding": "gzip, br"})
    assert resp.status == 200, resp.text
    assert resp.header("x-shroud-action") == "mask"
    assert resp.all("x-shroud-categories") == ["pii"]  # expose_categories: true
    record = last_received(mock, SURFACES[surface][0])
    received = upstream_text(surface, record)
    assert EMAIL not in record["body"]
    assert received != MASK_TEXT and received.startswith("Please email ")
    # Responses must be readable to be rehydrated; lengths change.
    assert record["headers"].get("accept-encoding") == "identity"
    assert "content-length" not in record["headers"]
    # The echoed placeholder comes back as the original value.
    assert answer_text(surface, resp, False) == MASK_TEXT
    assert_no_canary_upstream(mock)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_provider_key_is_blocked(gateway, mock, surface):
    mock.clear()
    resp = send(gateway, surface, f"use key {OPENAI_KEY} for this")
    assert resp.status == 403, resp.text
    assert resp.header("content-type") == "application/json"
    assert resp.all("x-shroud-action") == ["block"]  # our local reply, headers once
    assert resp.all("x-shroud-categories") == ["secret"]
    message = assert_error_shape(surface, resp)
    assert "secret" in message
    assert OPENAI_KEY not in resp.text
    # The upstream may have seen the headers (they go first), never a body byte.
    for record in mock.received():
        assert record["body"] == ""
    assert_no_canary_upstream(mock)


def test_high_entropy_password_is_blocked_low_entropy_is_not(gateway, mock):
    mock.clear()
    resp = send(gateway, "chat", f"login with password={PASSWORD} please")
    assert resp.status == 403, resp.text
    assert "secret" in resp.json()["error"]["message"]
    assert PASSWORD not in resp.text
    resp = send(gateway, "chat", "the form says password=aaaaaaaa here")
    assert resp.status == 200, resp.text
    assert_no_canary_upstream(mock)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_malformed_json_is_400(gateway, mock, surface):
    mock.clear()
    resp = gateway.post(SURFACES[surface][0], body=b'{"model": "x", "messages": [', headers=headers_for(surface))
    assert resp.status == 400, resp.text
    assert_error_shape(surface, resp, rid=None)
    for record in mock.received():
        assert record["body"] == ""


def test_oversize_body_is_413_and_nothing_is_forwarded(gateway, mock):
    mock.clear()
    piece = b"a" * 65536
    pieces = [b'{"model":"m","messages":[{"role":"user","content":"'] + [piece] * 24 + [b'"}]}']
    resp = gateway.post("/v1/chat/completions", pieces=pieces)
    assert resp.status == 413, resp.text
    assert resp.json()["error"]["message"]
    for record in mock.received():
        assert record["body"] == ""


def test_large_chunked_body_within_limit_is_forwarded_intact(gateway, mock):
    mock.clear()
    words = b"lorem ipsum dolor sit amet " * 2400  # ~64 KiB
    pieces = [b'{"model":"m","messages":[{"role":"user","content":"'] + [words] * 12 + [b'"}]}']
    resp = gateway.post("/v1/chat/completions", pieces=pieces)
    assert resp.status == 200, resp.text[:300]
    record = last_received(mock, "/v1/chat/completions")
    assert record["complete"]
    assert record["body"].encode() == b"".join(pieces)


# ---------------------------------------------------------------------------
# response side


@pytest.mark.parametrize("surface", LLM_SURFACES)
def test_streamed_placeholder_split_at_every_position(gateway, mock, surface):
    mock.clear()
    first = send(gateway, surface, MASK_TEXT, stream=True)
    assert first.status == 200
    assert first.header("content-type").startswith("text/event-stream")
    received = upstream_text(surface, last_received(mock, SURFACES[surface][0]))
    assert EMAIL not in received
    failures = []
    for k in range(len(received) + 1):
        resp = send(gateway, surface, MASK_TEXT, stream=True, extra={"x-mock-split-at": str(k)})
        got = answer_text(surface, resp, True)
        if resp.status != 200 or got != MASK_TEXT:
            failures.append((k, resp.status, got))
    assert not failures, failures[:5]
    assert_no_canary_upstream(mock)


@pytest.mark.parametrize("surface", LLM_SURFACES)
@pytest.mark.parametrize("delta_chars", [1, 2, 3, 5])
def test_placeholder_spread_over_many_deltas(gateway, mock, surface, delta_chars):
    mock.clear()
    resp = send(gateway, surface, MASK_TEXT, stream=True, extra={"x-mock-delta-chars": str(delta_chars)})
    assert resp.status == 200
    assert answer_text(surface, resp, True) == MASK_TEXT


@pytest.mark.parametrize("surface", list(SURFACES))
def test_stream_written_one_byte_per_write(gateway, mock, surface):
    mock.clear()
    resp = send(gateway, surface, MASK_TEXT, stream=True,
                extra={"x-mock-chunk-bytes": "1", "x-mock-split-at": "17"})
    assert resp.status == 200
    assert answer_text(surface, resp, True) == MASK_TEXT


@pytest.mark.parametrize("surface", list(SURFACES))
def test_json_answer_written_one_byte_per_write(gateway, mock, surface):
    mock.clear()
    resp = send(gateway, surface, MASK_TEXT, extra={"x-mock-chunk-bytes": "1"})
    assert resp.status == 200
    assert answer_text(surface, resp, False) == MASK_TEXT


def test_sse_is_streamed_event_by_event(gateway, mock):
    """Text reaches the client while the upstream is still holding the rest
    of the stream: nothing buffers the whole stream. Shroud holds back only a
    bounded tail (the output sanitizer's window), so the first delta is long
    enough to get past it."""
    mock.clear()
    filler = " ".join(["lorem ipsum dolor sit amet"] * 12)
    long_text = f"{MASK_TEXT} {filler} The end."
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=TIMEOUT)
    try:
        conn.request("POST", "/v1/chat/completions", body=json.dumps(chat(long_text, stream=True)),
                     headers={"content-type": "application/json", "x-mock-split-at": str(len(long_text) - 10),
                              "x-mock-hold-after": "2"})
        resp = conn.getresponse()
        assert resp.status == 200
        early = b""
        # Blocks (and the socket timeout fails the test) if the filter waited
        # for the end of the stream.
        while b"Please email" not in early:
            chunk = resp.read1(65536)
            assert chunk, "stream ended early"
            early += chunk
        assert EMAIL.encode() in early
        mock.release()
        rest = resp.read()
    finally:
        conn.close()
    events = sse_payloads(early + rest)
    text = "".join(e["choices"][0]["delta"].get("content", "") for e in events if e.get("choices"))
    assert text == long_text


def test_encoded_response_is_passed_through(gateway, mock):
    """If the upstream ignores accept-encoding: identity, the body is not
    touched (the client then sees placeholders, never values)."""
    mock.clear()
    mock.script_next(status=200, headers={"content-type": "application/json", "content-encoding": "br"},
                     body="opaque-bytes")
    resp = send(gateway, "chat", MASK_TEXT)
    assert resp.status == 200
    assert resp.body == b"opaque-bytes"


def test_request_id_is_echoed(gateway, mock):
    mock.clear()
    resp = send(gateway, "chat", MASK_TEXT, extra={"x-request-id": "e2e-rid-123"})
    assert resp.header("x-shroud-request-id") == "e2e-rid-123"
    assert last_received(mock, "/v1/chat/completions")["headers"]["x-request-id"] == "e2e-rid-123"
    assert resp.all("x-shroud-action") == ["mask"]


# ---------------------------------------------------------------------------
# profiles, metrics, audit


def test_route_metadata_selects_the_profile(gateway_factory, mock):
    strict = gateway_factory(name="strict", route_profile="strict")
    mock.clear()
    resp = send(strict, "chat", MASK_TEXT, extra={"x-request-id": "e2e-strict-1"})
    assert resp.status == 403, resp.text
    assert "pii" in resp.json()["error"]["message"]
    assert EMAIL not in resp.text
    audit = [a for a in audit_lines(strict.log()) if a["request_id"] == "e2e-strict-1"]
    assert audit and audit[0]["profile"] == "strict" and audit[0]["route"] == "llm"


def stat_value(stats, name):
    m = re.search(rf"^{re.escape(name)}: (\d+)$", stats, re.M)
    return int(m.group(1)) if m else None


def test_metrics_are_exported(gateway, mock):
    send(gateway, "chat", MASK_TEXT)
    send(gateway, "anthropic", f"key {OPENAI_KEY}")
    stats = gateway.admin("/stats")
    assert stat_value(stats, "wasmcustom.shroud.findings.detected_category=pii_type=email") >= 1
    assert stat_value(stats, "wasmcustom.shroud.requests.handled_surface=openai_chat_outcome=forwarded") >= 1
    assert stat_value(stats, "wasmcustom.shroud.requests.handled_surface=anthropic_messages_outcome=rejected") >= 1
    assert stat_value(stats, "wasmcustom.shroud.actions.taken_action=block_mode=enforce") >= 1
    assert stat_value(stats, "wasmcustom.shroud.bytes.scanned") > 0
    # Histograms reach the admin page at Envoy's stats flush (every 5 s), not
    # at record time: wait for the first flush after the requests.
    wait_until(lambda: "wasmcustom.shroud.processing.duration_us: P0(" in gateway.admin("/stats"),
               15, "the processing-time histogram to be flushed")
    prom = gateway.admin("/stats/prometheus")
    assert re.search(r'^shroud_findings_detected\{category="pii",type="email"\} [1-9]', prom, re.M), prom[:2000]
    assert re.search(r'^shroud_requests_handled\{surface="openai_chat",outcome="forwarded"\} [1-9]', prom, re.M)
    assert re.search(r'^shroud_actions_taken\{action="mask",mode="enforce"\} [1-9]', prom, re.M)
    assert "shroud_processing_duration_us_bucket" in prom


def audit_lines(log):
    out = []
    for line in log.splitlines():
        _, sep, rest = line.partition("shroud.audit ")
        if sep:
            out.append(json.loads(rest))
    return out


def test_audit_log_is_metadata_only(gateway, mock):
    mock.clear()
    ids = {}
    for i, (surface, text, stream) in enumerate([
        ("chat", MASK_TEXT, False),
        ("responses", MASK_TEXT, True),
        ("anthropic", f"key {OPENAI_KEY}", False),
        ("mcp", f"password={PASSWORD}", False),
    ]):
        rid = f"e2e-audit-{i}"
        ids[rid] = send(gateway, surface, text, stream=stream, extra={"x-request-id": rid})
    # Whatever replaced the email upstream (format-agnostic).
    masked = upstream_text("chat", last_received(mock, "/v1/chat/completions"))
    prefix, suffix = "Please email ", " about the invoice."
    assert masked.startswith(prefix) and masked.endswith(suffix), masked
    placeholders = {masked[len(prefix) : len(masked) - len(suffix)]}

    def logged():
        seen = {a["request_id"] for a in audit_lines(gateway.log())}
        return all(rid in seen for rid in ids)

    wait_until(logged, 10, "audit lines")  # written at stream end
    log = gateway.log()
    for canary in CANARIES + sorted(placeholders):
        assert canary not in log, f"{canary!r} leaked into the Envoy log"
    by_id = {a["request_id"]: a for a in audit_lines(log)}
    mask, blocked = by_id["e2e-audit-0"], by_id["e2e-audit-2"]
    assert mask["action"] == "mask" and mask["surface"] == "openai_chat" and mask["status"] == 200
    assert {"category": "pii", "type": "email", "count": 1} in mask["findings"]
    assert mask["bytes"]["response_out"] > 0 and mask["micros"] >= 0 and mask["route"] == "llm"
    assert blocked["action"] == "block" and blocked["status"] == 403
    assert by_id["e2e-audit-1"]["surface"] == "openai_responses"
    assert by_id["e2e-audit-3"]["surface"] == "mcp"


def test_resent_history_is_answered_from_the_scan_cache(gateway, mock):
    """A chat client resends the conversation with every turn: the second
    request's history is answered from the VM's scan cache (audit
    `bytes_cached`, metric `shroud.bytes.cached`) and still masked."""
    mock.clear()
    history = f"Resent history {time.time_ns()}: please email {EMAIL} about the invoice."

    def turn(rid, messages):
        body = json.dumps({"model": "gpt-4o-mini", "messages": messages})
        resp = gateway.post("/v1/chat/completions", body=body.encode(),
                            headers={"content-type": "application/json", "x-request-id": rid})
        assert resp.status == 200, resp.text[:300]

    first = [{"role": "user", "content": history}]
    turn("e2e-cache-1", first)
    turn("e2e-cache-2", first + [{"role": "assistant", "content": "Noted."},
                                 {"role": "user", "content": f"one more thing {time.time_ns()}"}])
    upstream = last_received(mock, "/v1/chat/completions")["body"]
    assert EMAIL not in upstream and "Resent history" in upstream

    def logged():
        seen = {a["request_id"] for a in audit_lines(gateway.log())}
        return {"e2e-cache-1", "e2e-cache-2"} <= seen

    wait_until(logged, 10, "audit lines")
    by_id = {a["request_id"]: a for a in audit_lines(gateway.log())}
    assert by_id["e2e-cache-1"]["bytes_cached"] == 0
    assert by_id["e2e-cache-2"]["bytes_cached"] == len(history.encode())
    assert {"category": "pii", "type": "email", "count": 1} in by_id["e2e-cache-2"]["findings"]
    assert stat_value(gateway.admin("/stats"), "wasmcustom.shroud.bytes.cached") >= len(history)


@pytest.fixture(scope="module")
def big_gateway(gateway_factory, tmp_path_factory):
    """A gateway whose config allows 4 MiB bodies (Envoy's buffer limit is 1 MiB)."""
    config = tmp_path_factory.mktemp("big") / "big.json"
    config.write_text(json.dumps({"limits": {"max_body_bytes": 4 * 1024 * 1024}}))
    return gateway_factory(name="bigbody", plugin_config=config)


def test_body_bound_is_shrouds_not_envoys(big_gateway, mock):
    """Swallowed bodies are bounded by limits.max_body_bytes, not by Envoy's
    1 MiB buffer limit: a 3 MiB request passes when the config allows 4 MiB."""
    mock.clear()
    words = b"lorem ipsum dolor sit amet " * 2400  # ~64 KiB
    pieces = [b'{"model":"m","messages":[{"role":"user","content":"'] + [words] * 48 + [b'"}]}']
    resp = big_gateway.post("/v1/chat/completions", pieces=pieces)
    assert resp.status == 200, resp.text[:300]
    record = last_received(mock, "/v1/chat/completions")
    assert record["complete"] and record["body"].encode() == b"".join(pieces)


def test_large_json_answer_is_not_buffered_by_envoy(big_gateway, mock):
    """A 2 MiB JSON answer (over Envoy's 1 MiB buffer limit) arrives whole and
    intact: the filter accumulates it itself instead of asking Envoy to."""
    mock.clear()
    text = "x" * (2 * 1024 * 1024)
    body = json.dumps({"id": "chatcmpl-big", "object": "chat.completion", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}]})
    mock.script_next(status=200, headers={"content-type": "application/json"}, body=body, chunk_bytes=16384)
    resp = send(big_gateway, "chat", MASK_TEXT)
    assert resp.status == 200
    assert resp.json()["choices"][0]["message"]["content"] == text
