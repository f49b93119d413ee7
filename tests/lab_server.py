"""Start a real ``jupyter lab`` on a free loopback port, for notebook browser tests.

(Not named ``jupyter_server.py``: ``tests/`` is on ``sys.path`` under pytest, and that name
would shadow the ``jupyter_server`` package for every test in the run.)

The server never touches the network: it listens on 127.0.0.1 with a random token, checks for
no updates and fetches no news, its extension manager is read-only (no PyPI queries), and its
settings, workspaces and runtime files live in a temporary folder so nothing of the user's
JupyterLab state is read or written. The notebook root is a fresh temporary folder too.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from app_server import ROOT, free_port

#: JupyterLab settings for the test user: no news/update prompt (a toast that would cover the
#: notebook), no autosave racing with the test, no "kernel is busy" confirm dialogs.
_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    # every cell attached to the DOM, so outputs below the fold are there to read
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@contextlib.contextmanager
def jupyter_lab(log_path: Path, env: dict | None = None, timeout: float = 180,
                disabled_extensions: tuple[str, ...] = ()):
    """Yield ``(url, token, root)`` of a running JupyterLab; its log goes to ``log_path``.

    ``url`` is ``http://127.0.0.1:PORT`` (no trailing slash); ``root`` is the folder the server
    serves (write notebooks there). Kernels start with the server's environment, so ``env``
    (e.g. ``PYTHONPATH``) reaches them too. ``disabled_extensions`` names labextensions to
    switch off for this server only (e.g. ``"@pyviz/jupyterlab_pyviz"``, to show what it does).
    """
    port = free_port()
    token = secrets.token_hex(24)
    jupyter = Path(sys.executable).with_name("jupyter")
    with tempfile.TemporaryDirectory(prefix="embviz-jlab-") as tmp:
        tmp = Path(tmp)
        root, state = tmp / "root", tmp / "state"
        root.mkdir()
        for name, settings in _USER_SETTINGS.items():
            plugin, _, file = name.rpartition("/")
            (state / "settings" / plugin).mkdir(parents=True, exist_ok=True)
            (state / "settings" / plugin / file).write_text(json.dumps(settings))
        set_disabled_labextensions(root, disabled_extensions)
        command = [
            str(jupyter), "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            # window.jupyterapp: the driver runs cells through the app's command registry
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.terminals_enabled=False",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
            command.append("--allow-root")
        environment = {
            **os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "IPYTHONDIR": str(state / "ipython"),
            # kernelspec "python3" runs `python`: make that this interpreter
            "PATH": os.pathsep.join([str(jupyter.parent), os.environ.get("PATH", "")]),
            **(env or {}),
        }
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                       env=environment, cwd=ROOT, start_new_session=True)
            url = f"http://127.0.0.1:{port}"
            try:
                _wait_until_up(f"{url}/api/status?token={token}", process, timeout, log_path)
                yield url, token, root
            finally:
                _stop(process)


def set_disabled_labextensions(root: Path, names=()) -> None:
    """Switch labextensions off (or all back on, with no names) for pages loaded from now on.

    ``root`` is the one ``jupyter_lab`` yielded; the server reads ``page_config.json`` from
    its private config folder on every ``/lab`` request, so no restart is needed.
    """
    labconfig = Path(root).parent / "state" / "config" / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in names}}))


def _wait_until_up(status_url: str, process, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with code {process.returncode}:\n"
                               f"{log_path.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(status_url, timeout=5) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise TimeoutError(f"jupyter lab did not answer within {timeout} s:\n"
                       f"{log_path.read_text()[-3000:]}")


def _stop(process) -> None:
    """Terminate the server (it shuts its kernels down), then kill what is left of its group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    # Anything else left in the server's own session (process group). Kernels have sessions
    # of their own (jupyter_client starts them so); the server shuts them down on SIGTERM.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, 9)
