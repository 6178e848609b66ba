# SPDX-License-Identifier: Apache-2.0
"""The conformance corpus (tests/conformance) through REAL Envoy.

Every case the host runner plays (host-test/tests/conformance.rs) is replayed
here against Envoy with the built filter and the mock upstream, which is told
the scripted (templated) answer for the next request through /__mock/next.
One gateway per distinct (configuration, route profile). Skips live in
tests/conformance/skip.toml under [envoy]. Format: tests/conformance/README.md.
"""
import base64
import json
import re
import tomllib

import pytest

from conftest import ROOT, request, wait_until

CASES_DIR = ROOT / "tests" / "conformance"
SKIPS = tomllib.loads((CASES_DIR / "skip.toml").read_text()).get("envoy", {})


def load_cases():
    cases = []
    for area_dir in sorted(p for p in CASES_DIR.iterdir() if p.is_dir() and p.name != "configs"):
        for f in sorted(area_dir.glob("*.json")):
            spec = json.loads(f.read_text())
            config = spec.get("config", "default")
            if isinstance(config, str):
                config_text = (CASES_DIR / "configs" / f"{config}.json").read_text()
            else:
                config_text = compact(config)
            cases.append((f"{area_dir.name}/{f.stem}", spec, config_text))
    return cases


def compact(value):
    """Rust's serde_json::to_string: compact, UTF-8, key order kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def text_of(value):
    return value if isinstance(value, str) else compact(value)


CASES = load_cases()
GATEWAYS = {}


def gateway_for(factory, config_text, route_profile, tmp_path_factory):
    key = (config_text, route_profile)
    if key not in GATEWAYS:
        path = tmp_path_factory.mktemp("conformance-config") / "plugin-config.json"
        path.write_text(config_text)
        GATEWAYS[key] = factory(name=f"conformance{len(GATEWAYS)}", plugin_config=path,
                                route_profile=route_profile)
    return GATEWAYS[key]


def counters(gw):
    out = {}
    for m in re.finditer(r"^wasmcustom\.(\S+): (\d+)$", gw.admin("/stats"), re.M):
        out[m.group(1)] = int(m.group(2))
    return out


def clip(text):
    return text if len(text) <= 400 else text[:400] + "…"


def check_message(what, checks, status, headers, body, errors):
    text = body.decode("utf-8", "replace")
    if checks.get("status") is not None and status is not None and checks["status"] != status:
        errors.append(f"{what}: status {status}, expected {checks['status']}")
    for needle in checks.get("body_contains", []):
        if needle not in text:
            errors.append(f"{what}: body lacks {needle!r}; body: {clip(text)}")
    for needle in checks.get("body_not_contains", []):
        if needle in text:
            errors.append(f"{what}: body contains {needle!r}; body: {clip(text)}")
    if "body_exact" in checks and text != checks["body_exact"]:
        errors.append(f"{what}: body is {text!r}, expected {checks['body_exact']!r}")
    if "body_json" in checks:
        try:
            got = json.loads(text)
            if got != checks["body_json"]:
                errors.append(f"{what}: JSON body is {got}, expected {checks['body_json']}")
        except ValueError as e:
            errors.append(f"{what}: body is not JSON ({e}): {clip(text)}")
    for name, want in checks.get("headers", {}).items():
        got = headers.get(name.lower())
        if got != text_of(want):
            errors.append(f"{what}: header {name} is {got!r}, expected {want!r}")
    for name in checks.get("headers_absent", []):
        if name.lower() in headers:
            errors.append(f"{what}: header {name} must be absent")


@pytest.mark.parametrize("case_id,spec,config_text", CASES, ids=[c[0] for c in CASES])
def test_conformance(case_id, spec, config_text, gateway_factory, mock, tmp_path_factory):
    if case_id in SKIPS:
        pytest.skip(SKIPS[case_id])
    gw = gateway_for(gateway_factory, config_text, spec.get("route_profile"), tmp_path_factory)
    req, expect = spec["request"], spec["expect"]
    resp_spec = spec.get("response") or {"body": "{}"}

    mock.clear()
    mock._control("DELETE", "/__mock/next")
    headers = dict(resp_spec.get("headers") or {"content-type": "application/json"})
    script = {"status": resp_spec.get("status", 200), "headers": headers, "template": True}
    if "chunks" in resp_spec:
        script["chunks"] = resp_spec["chunks"]
    else:
        script["body"] = text_of(resp_spec.get("body", ""))
    mock.script_next(**script)

    before = counters(gw) if expect.get("metrics") else {}
    req_headers = req.get("headers")
    if req_headers is None:
        req_headers = {"content-type": "application/json"}
    req_headers = {k: text_of(v) for k, v in req_headers.items()}
    method, path = req.get("method", "POST"), req["path"]
    if "chunks" in req:
        resp = request(gw.port, method, path, headers=req_headers,
                       pieces=[c.encode() for c in req["chunks"]])
    else:
        body = text_of(req["body"]).encode() if "body" in req else None
        resp = request(gw.port, method, path, body=body, headers=req_headers)
    client_headers = dict(resp.headers)
    received = [r for r in mock.received() if r["complete"]]

    errors = []
    upstream = expect.get("upstream")
    must_not_reach = "local_reply" in expect or upstream == "none"
    if must_not_reach and received:
        errors.append(f"upstream received a complete request but must not: {clip(received[-1]['body'])}")
    if upstream is not None and not must_not_reach and not received:
        errors.append("the upstream received no complete request")
    if isinstance(upstream, dict) and received:
        rec = received[-1]
        check_message("upstream", upstream, None, rec["headers"], base64.b64decode(rec["body_b64"]), errors)
    if "local_reply" in expect:
        check_message("local reply", expect["local_reply"], resp.status, client_headers, resp.body, errors)
    if "client" in expect:
        check_message("client", expect["client"], resp.status, client_headers, resp.body, errors)
    if expect.get("metrics"):
        after = counters(gw)
        for name, want in expect["metrics"].items():
            got = after.get(name, 0) - before.get(name, 0)
            if got != want:
                errors.append(f"metric {name}: delta {got}, expected {want}")
    for needle in expect.get("log_contains", []):
        try:
            wait_until(lambda: needle in gw.log(), 5, f"log line containing {needle!r}")
        except TimeoutError:
            errors.append(f"no log line contains {needle!r}")
    log = gw.log()
    for needle in expect.get("log_not_contains", []):
        if needle in log:
            errors.append(f"log contains {needle!r}")
    assert not errors, "\n".join(errors)
