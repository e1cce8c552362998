"""tito jupyter: JupyterLab at the project root, with the dev files opening as notebooks."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path

from tito.console import TitoError, console
from tito.modules import add_workspace_argument, find_module, project_root, use_workspace, workspace_dir

NAME = "jupyter"
ORDER = 30
HELP = "start JupyterLab with the dev files opening as notebooks"
DESCRIPTION = """\
Start JupyterLab at the project root. Jupytext's contents manager serves each
percent-format dev file (name_dev.py) as a notebook, and in this JupyterLab a
double click on a .py file opens it as a notebook (right click, Open With, Editor
shows the plain text). Saving writes the .py file itself; a chapter opened (and its
kernel started) and saved unchanged stays the same file, byte for byte.

  tito jupyter                         the project in JupyterLab
  tito jupyter --module activations    and open that module's dev file
  tito jupyter --no-browser --port 8890
  tito jupyter --notebook              the classic-looking Jupyter Notebook 7 instead
  tito jupyter -m activations --from release   the student edition you work in

The server listens on 127.0.0.1 only, with a fresh token (or $JUPYTER_TOKEN).
Ctrl-C stops it.
"""

# JupyterLab's lowest-priority settings layer (`labconfig/default_setting_overrides.json`
# in a directory on JUPYTER_CONFIG_PATH): .py files open as notebooks by default. The
# learner's own settings still win; nothing is written to their configuration.
LAB_DEFAULTS = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}},
    # no "would you like to receive news?" pop-up over the chapter, no update checks
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
CONTENTS_MANAGER = "tito.jupyter_contents.ChapterContentsManager"  # jupytext's; opening changes nothing
START_TIMEOUT = 90.0  # seconds JupyterLab may take to answer its first request
STOP_TIMEOUT = 10.0   # seconds it may take to shut down before it is killed


def add_arguments(parser) -> None:
    parser.add_argument("module", nargs="?", help="module whose dev file to open")
    parser.add_argument("--module", "-m", dest="module_opt", metavar="M", help="module whose dev file to open")
    parser.add_argument("--port", type=int, help="port on 127.0.0.1 (default: the first free one from 8888)")
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--lab", dest="app", action="store_const", const="jupyterlab",
                      help="JupyterLab (the default)")
    kind.add_argument("--notebook", dest="app", action="store_const", const="notebook",
                      help="Jupyter Notebook 7 (pip install notebook)")
    parser.set_defaults(app="jupyterlab")
    add_workspace_argument(parser)


def _require(app: str) -> None:
    """Stop with the exact install command when the Jupyter app or jupytext is missing."""
    for package in (app, "jupytext"):
        try:
            __import__(package)
        except ImportError:
            name = {"jupyterlab": "JupyterLab", "notebook": "Jupyter Notebook"}.get(package, package)
            install = f"{sys.executable} -m pip install {package}"
            hint = f"install it with: {install}"
            if package != "notebook":  # part of the learner install
                hint += "   (or run `source bin/activate-tinytorch.sh`, which installs everything a learner needs)"
            raise TitoError(f"{name} is not installed in this Python ({sys.executable})", hint=hint) from None


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _choose_port(wanted: int | None) -> int:
    if wanted is not None:
        if not 0 < wanted < 65536:
            raise TitoError(f"--port {wanted} is not a port number (1-65535)")
        if not _port_is_free(wanted):
            raise TitoError(f"port {wanted} on 127.0.0.1 is in use", hint="choose another with --port, or leave it out")
        return wanted
    for port in range(8888, 8988):
        if _port_is_free(port):
            return port
    raise TitoError("no free port between 8888 and 8987 on 127.0.0.1", hint="choose one with --port")


def _wait_until_ready(server: subprocess.Popen, base: str, token: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    request = urllib.request.Request(f"{base}/api/status", headers={"Authorization": f"token {token}"})
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise TitoError(f"Jupyter stopped while starting (exit code {server.returncode}); see its messages above")
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            with urllib.request.urlopen(request, timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.25)
    _stop(server)
    raise TitoError(f"Jupyter did not answer within {START_TIMEOUT:.0f} s; see its messages above")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM (Jupyter shuts its kernels down and exits), then SIGKILL if it hangs."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def run(args) -> int:
    root = project_root()
    use_workspace(args.workspace)
    spec = args.module_opt or args.module
    module = find_module(spec) if spec else None
    _require(args.app)
    port = _choose_port(args.port)
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_urlsafe(24)

    workspace = workspace_dir(root)
    serve_dir = root if root in workspace.parents or workspace == root else workspace
    opened = module.dev_file.relative_to(serve_dir).as_posix() if module else ""
    if args.app == "jupyterlab":
        app_args = [f"--LabApp.default_url=/lab/tree/{opened}" if opened else "--LabApp.default_url=/lab",
                    "--LabApp.log_level=WARN"]
        page = f"/lab/tree/{opened}" if opened else "/lab"
    else:
        app_args = []
        page = f"/notebooks/{opened}" if opened else "/tree"
    base = f"http://127.0.0.1:{port}"
    url = f"{base}{page}?token={token}"

    with tempfile.TemporaryDirectory(prefix="tinytorch-jupyter-") as config_dir:
        labconfig = Path(config_dir, "labconfig")
        labconfig.mkdir()
        (labconfig / "default_setting_overrides.json").write_text(json.dumps(LAB_DEFAULTS, indent=2))
        env = dict(os.environ, JUPYTER_TOKEN=token, TINYTORCH_ROOT=str(root))
        env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(filter(None, [config_dir, env.get("JUPYTER_CONFIG_PATH")]))
        command = [sys.executable, "-m", args.app, f"--ServerApp.root_dir={serve_dir}", "--ServerApp.ip=127.0.0.1",
                   f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.open_browser=False",
                   f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}", "--ServerApp.log_level=WARN", *app_args]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
            command.append("--ServerApp.allow_root=True")
        console.print(f"starting {'JupyterLab' if args.app == 'jupyterlab' else 'Jupyter Notebook'} "
                      f"in {serve_dir} ...")
        # Its own session: Ctrl-C (and SIGTERM, see tito.main) reaches tito only, as KeyboardInterrupt,
        # and tito shuts the server down in order.
        server = subprocess.Popen(command, cwd=serve_dir, env=env, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            _wait_until_ready(server, base, token)
            console.print(f"[bold green]Jupyter is running at[/] {url}", soft_wrap=True)
            if module:
                console.print(f"opening {module.dev_file.relative_to(serve_dir)} as a notebook")
            console.print("[dim]Ctrl-C stops it.[/]")
            if not args.no_browser:
                webbrowser.open(url)
            code = server.wait()
            if code != 0:
                raise TitoError(f"Jupyter stopped with exit code {code}; see its messages above")
        except KeyboardInterrupt:
            console.print("stopping Jupyter ...")
            _stop(server)
            console.print("stopped.")
        finally:
            _stop(server)
    return 0
