"""The commands a user types, end to end: ``xaas flow serve`` in its own process,
``xaas flow translate --to asl --endpoint-base``, the emulator, and ``xaas flow run`` as reference
— the final payloads must be equal (trip booking, compensated path)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.flow.translate.asl_tools import ASL_TOOLS, need_node_tools
from tests.flow.translate.harness import CASES, STUBS, definition

XAAS = [sys.executable, "-m", "xaas_parsl.cli.main"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"),
                                   timeout=5)
        except urllib.error.HTTPError:
            return  # answering (400 for the empty envelope)
        except urllib.error.URLError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)
        else:
            return


def test_serve_translate_emulate_equals_flow_run(tmp_path: Path) -> None:
    need_node_tools()
    [(_, stem, payload)] = [c for c in CASES if c[0] == "trip-confirm"]
    (tmp_path / "input.json").write_text(json.dumps(payload))
    reference = subprocess.run(
        [*XAAS, "flow", "run", str(definition(stem)), "--input", str(tmp_path / "input.json"),
         "--functions", str(STUBS), "--executor", "none", "--workdir", str(tmp_path / "w")],
        capture_output=True, text=True, timeout=120, check=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    asl = tmp_path / "trip.asl.json"
    subprocess.run([*XAAS, "flow", "translate", str(definition(stem)), "--to", "asl",
                    "--endpoint-base", base, "-o", str(asl)], check=True, timeout=60,
                   capture_output=True)
    server = subprocess.Popen([*XAAS, "flow", "serve", "--functions", str(STUBS), "--port",
                               str(port), "--storage", str(tmp_path / "s"), "--no-log"])
    try:
        _wait_until_up(f"{base}/confirm", server)
        jobs = tmp_path / "jobs.json"
        jobs.write_text(json.dumps([{"definition": json.loads(asl.read_text()),
                                     "input": payload, "endpoint_base": base}]))
        done = subprocess.run(["node", str(ASL_TOOLS / "run.mjs"), str(jobs)],
                              capture_output=True, text=True, timeout=120, check=True)
    finally:
        server.terminate()
        server.wait(10)
    [result] = json.loads(done.stdout)
    assert result["ok"] and result["output"] == json.loads(reference.stdout)
    assert result["output"]["status"] == "failure"
