# SPDX-License-Identifier: Apache-2.0
"""Fixtures: the mock upstream and real Envoy processes with the built filter.

Everything binds to 127.0.0.1 on free ports; every wait is bounded; every
process is stopped at teardown.
"""
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RENDER = ROOT / "scripts" / "render-envoy-config"
E2E_CONFIG = HERE / "plugin-config.e2e.json"
TIMEOUT = 15  # seconds, for any single HTTP exchange


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (lower-case name, value)
        self.body = body

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name):
        return [v for k, v in self.headers if k == name]

    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def request(port, method, path, body=None, headers=None, pieces=None):
    """One HTTP/1.1 exchange. `pieces` sends the body chunked, piece by piece."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        hdrs = {"content-type": "application/json", **(headers or {})}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        if pieces is not None:
            conn.putrequest(method, path)
            for k, v in hdrs.items():
                conn.putheader(k, v)
            conn.putheader("transfer-encoding", "chunked")
            conn.endheaders()
            try:
                for piece in pieces:
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the gateway answered early (413) and closed
        else:
            conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, [(k.lower(), v) for k, v in resp.getheaders()], data)
    finally:
        conn.close()


class Mock:
    """Handle on the mock upstream process (tests/e2e/mock_upstream.py)."""

    def __init__(self, port):
        self.port = port

    def _control(self, method, path, body=None):
        return request(self.port, method, path, body=body)

    def received(self):
        return self._control("GET", "/__mock/requests").json()

    def clear(self):
        self._control("DELETE", "/__mock/requests")

    def script_next(self, **spec):
        self._control("POST", "/__mock/next", body=spec)

    def release(self):
        self._control("POST", "/__mock/release", body={})


@pytest.fixture(scope="session")
def envoy_bin():
    path = subprocess.run(
        [str(ROOT / "scripts" / "ensure-venv"), "--print-envoy"],
        check=True, capture_output=True, text=True, timeout=600,
    ).stdout.strip()
    assert Path(path).is_file(), path
    return path


def built_filter(name):
    """Where scripts/build-filter puts the filter `name` (the plain one, or
    shroud_filter_ner.wasm with --ner)."""
    target = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    if not target.is_absolute():
        target = ROOT / target
    return target / "wasm32-wasip1" / "release" / name


@pytest.fixture(scope="session")
def wasm_path():
    wasm = built_filter("shroud_filter.wasm")
    if not wasm.is_file():
        pytest.fail(f"{wasm} is missing: run scripts/build-filter (tests/e2e/run does)")
    return wasm


@pytest.fixture(scope="session")
def mock():
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "mock_upstream.py"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r":(\d+)\s*$", line)
        assert m, f"mock did not report its port: {line!r}"
        yield Mock(int(m.group(1)))
    finally:
        stop(proc)


def render(tmp_path, name, wasm, upstream_port, listen_port, admin_port, plugin_config,
           template="envoy.yaml", route_profile=None):
    out = tmp_path / f"{name}.yaml"
    cmd = [sys.executable, str(RENDER), "--template", str(ROOT / "envoy-config" / template),
           "--out", str(out), "--listen-port", str(listen_port), "--admin-port", str(admin_port),
           "--upstream", f"127.0.0.1:{upstream_port}"]
    if template == "envoy.yaml":
        cmd += ["--wasm", str(wasm), "--plugin-config", str(plugin_config)]
        if route_profile:
            cmd += ["--route-profile", route_profile]
    subprocess.run(cmd, check=True, timeout=30)
    return out


class Gateway:
    def __init__(self, port, admin_port, log_path, proc):
        self.port = port
        self.admin_port = admin_port
        self.log_path = log_path
        self.proc = proc

    def post(self, path, body=None, headers=None, pieces=None):
        return request(self.port, "POST", path, body=body, headers=headers, pieces=pieces)

    def get(self, path, headers=None):
        return request(self.port, "GET", path, headers=headers)

    def admin(self, path):
        return request(self.admin_port, "GET", path).text

    def log(self):
        return self.log_path.read_text(errors="replace")


def start_envoy(envoy_bin, config, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [envoy_bin, "-c", str(config), "--concurrency", "1", "--disable-hot-restart",
         "--log-level", "info"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    log.close()
    return proc


@pytest.fixture(scope="session")
def gateway_factory(envoy_bin, wasm_path, mock, tmp_path_factory):
    started = []

    def make(name="envoy", plugin_config=E2E_CONFIG, route_profile=None, template="envoy.yaml"):
        tmp = tmp_path_factory.mktemp(name)
        port, admin = free_port(), free_port()
        config = render(tmp, name, wasm_path, mock.port, port, admin, plugin_config,
                        template=template, route_profile=route_profile)
        log_path = tmp / "envoy.log"
        proc = start_envoy(envoy_bin, config, log_path)
        started.append(proc)
        gw = Gateway(port, admin, log_path, proc)

        def ready():
            if proc.poll() is not None:
                raise RuntimeError(f"envoy exited ({proc.returncode}):\n{gw.log()[-3000:]}")
            try:
                return request(admin, "GET", "/ready").status == 200
            except OSError:
                return False

        wait_until(ready, 30, f"envoy {name} /ready")
        return gw

    yield make
    for proc in started:
        stop(proc)


@pytest.fixture(scope="session")
def gateway(gateway_factory):
    """The gateway most tests share: envoy.yaml with plugin-config.e2e.json."""
    return gateway_factory()
