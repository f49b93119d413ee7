"""Start ``panel serve apps/explorer.py`` on a free loopback port, for browser tests and benches."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def explorer_server(log_path: Path, env: dict | None = None, timeout: float = 120):
    """Yield ``(url, process)`` of a running explorer; the server log goes to ``log_path``."""
    port = free_port()
    panel = Path(sys.executable).with_name("panel")
    command = [str(panel), "serve", str(ROOT / "apps" / "explorer.py"), "--port", str(port),
               "--address", "127.0.0.1", f"--allow-websocket-origin=127.0.0.1:{port}",
               "--num-procs", "1"]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   env=environment, cwd=ROOT)
        url = f"http://127.0.0.1:{port}/explorer"
        try:
            _wait_until_up(url, process, timeout)
            yield url, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_up(url: str, process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"panel serve exited with code {process.returncode}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


#: A browser that closes its page while the server is still writing to it: tornado logs these
#: as "Task exception was never retrieved"; they are not errors of the app.
_CLIENT_GONE = ("tornado.websocket.WebSocketClosedError", "tornado.iostream.StreamClosedError")


def server_errors(log_text: str) -> list[str]:
    """The tracebacks in a ``panel serve`` log, except those of a client that went away."""
    blocks: list[list[str]] = []
    for line in log_text.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            blocks.append([line])
        elif blocks and _exception_line(blocks[-1]) is None:
            blocks[-1].append(line)
    return ["\n".join(block) for block in blocks
            if not (_exception_line(block) or "").startswith(_CLIENT_GONE)]


def _exception_line(block: list[str]) -> str | None:
    """The ``module.Error: message`` line that ends a traceback (first unindented line)."""
    return next((line for line in block[1:] if line and not line[0].isspace()), None)
