# SPDX-License-Identifier: Apache-2.0
"""The NER filter variant (shroud_filter_ner.wasm, model embedded) in a REAL
Envoy: names and addresses that no pattern finds are masked before the
upstream sees them and restored in the answer, streamed or not.

Needs `scripts/build-filter --ner` (scripts/test-ner builds it). Without that
module these tests are skipped with the reason, except under
SHROUD_REQUIRE_MODELS=1, where a missing module is a failure.
"""
import os
import time

import pytest

from conftest import ROOT, built_filter, free_port, render, request, start_envoy, stop, wait_until
from test_envoy import SURFACES, answer_text, last_received, send, upstream_text

NER_CONFIG = ROOT / "models" / "ner-config.json"
PERSON = ("Margaret", "Thompson")
STREET = "Maple Avenue"
TEXT = ("Hi, this is Margaret Thompson. Please ship the replacement to "
        "1427 Maple Avenue, Springfield.")
# Loading and optimizing the model in V8 (once per VM: the main thread and
# each worker) is slow; a cold start took about a minute on the dev machine.
READY_TIMEOUT = 600


@pytest.fixture(scope="module")
def ner_wasm():
    wasm = built_filter("shroud_filter_ner.wasm")
    if not wasm.is_file():
        if os.environ.get("SHROUD_REQUIRE_MODELS") == "1":
            pytest.fail(f"{wasm} is missing (SHROUD_REQUIRE_MODELS=1): run scripts/build-filter --ner")
        pytest.skip(f"{wasm} not built: the NER variant is opt-in (scripts/test-ner)")
    return wasm


@pytest.fixture(scope="module")
def ner_gateway(envoy_bin, ner_wasm, mock, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("envoy-ner")
    port, admin = free_port(), free_port()
    config = render(tmp, "envoy-ner", ner_wasm, mock.port, port, admin, NER_CONFIG)
    log_path = tmp / "envoy.log"
    started = time.monotonic()
    proc = start_envoy(envoy_bin, config, log_path)

    def ready():
        if proc.poll() is not None:
            raise RuntimeError(f"envoy exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            return request(admin, "GET", "/ready").status == 200
        except OSError:
            return False

    try:
        wait_until(ready, READY_TIMEOUT, "envoy with the NER filter /ready")
        print(f"\nNER filter: Envoy ready after {time.monotonic() - started:.1f} s")

        class Gw:
            def post(self, path, body=None, headers=None, pieces=None):
                return request(port, "POST", path, body=body, headers=headers, pieces=pieces)

            def log(self):
                return log_path.read_text(errors="replace")

        yield Gw()
    finally:
        stop(proc)


@pytest.mark.parametrize("surface", ["chat", "anthropic"])
@pytest.mark.parametrize("stream", [False, True])
def test_names_and_addresses_are_masked_and_restored(ner_gateway, mock, surface, stream):
    mock.clear()
    resp = send(ner_gateway, surface, TEXT, stream=stream)
    assert resp.status == 200, resp.text
    assert resp.header("x-shroud-action") == "mask"
    record = last_received(mock, SURFACES[surface][0])
    received = upstream_text(surface, record)
    for value in (*PERSON, STREET):
        assert value not in record["body"], f"upstream saw {value!r}: {received}"
    assert received.startswith("Hi, this is ")
    # The echoed placeholders come back as the original values.
    assert answer_text(surface, resp, stream) == TEXT


def test_text_without_entities_is_forwarded_unchanged(ner_gateway, mock):
    mock.clear()
    text = "Summarize the release notes in three bullet points."
    resp = send(ner_gateway, "chat", text)
    assert resp.status == 200, resp.text
    assert upstream_text("chat", last_received(mock, "/v1/chat/completions")) == text
    assert "NER model loaded" in ner_gateway.log()
