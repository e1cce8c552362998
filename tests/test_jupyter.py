"""tito jupyter: a real JupyterLab serving the dev files as notebooks, stopped by Ctrl-C."""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import jupytext
import pytest

DEV = "assignments/source/02_activations/activations_dev.py"
START_WAIT, STOP_WAIT = 120, 30  # seconds; every wait below is bounded


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, token: str | None = None):
    headers = {"Authorization": f"token {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as answer:
        return json.loads(answer.read())


def _env(project, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_TOKEN")}
    return dict(env, TINYTORCH_ROOT=str(project.root), COLUMNS="250", NO_COLOR="1", **extra)


def _tito(project, *args, env) -> subprocess.CompletedProcess:
    """tito in a subprocess; should it start a server after all, SIGTERM makes it stop that too."""
    process = subprocess.Popen([sys.executable, "-m", "tito", *args], cwd=project.root, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.terminate()
        out, err = process.communicate(timeout=STOP_WAIT)
        pytest.fail(f"tito {' '.join(args)} did not end by itself:\n{out}{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _server_pids(runtime: Path) -> list[int]:
    return [int(m[1]) for p in runtime.glob("jpserver-*.json") if (m := re.match(r"jpserver-(\d+)\.json", p.name))]


class _Server:
    """`tito jupyter ...` running in its own session; its output lines as they come."""

    def __init__(self, project, args, env):
        self.runtime = Path(env["JUPYTER_RUNTIME_DIR"])
        self.process = subprocess.Popen([sys.executable, "-m", "tito", "jupyter", *args], cwd=project.root,
                                        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.output: list[str] = []

    def wait_for_url(self) -> str:
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.process.poll() is None, "tito jupyter ended early:\n" + "".join(self.output)
                continue
            self.output.append(line)
            found = re.search(r"running at (http://\S+)", line)
            if found:
                return found[1]
        pytest.fail("no URL within the time limit:\n" + "".join(self.output))

    def drain(self) -> str:
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return "".join(self.output)

    def close(self) -> None:
        """Stop tito (and so the server) if a test left it running; kill what is left."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()
        for pid in _server_pids(self.runtime):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_jupyterlab_serves_the_dev_file_as_a_notebook_and_stops_on_ctrl_c(real_project, tmp_path):
    port = _free_port()
    opened = tmp_path / "browser.txt"
    browser = tmp_path / "browser.py"
    browser.write_text(f"import sys, pathlib\npathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    runtime = tmp_path / "runtime"
    env = _env(real_project, BROWSER=f"{sys.executable} {browser} %s", JUPYTER_RUNTIME_DIR=str(runtime))
    server = _Server(real_project, ["--module", "activations", "--port", str(port)], env)
    tito = server.process
    try:
        url = server.wait_for_url()
        assert url.startswith(f"http://127.0.0.1:{port}/lab/tree/{DEV}?token=")
        token = url.split("token=")[1]
        base = f"http://127.0.0.1:{port}"

        model = _get(f"{base}/api/contents/{DEV}?type=notebook", token)
        assert model["type"] == "notebook" and model["format"] == "json"
        cells = model["content"]["cells"]
        expected = jupytext.read(real_project.root / DEV, fmt="py:percent").cells
        assert [(c["cell_type"], c["source"]) for c in cells] == [(c.cell_type, c.source) for c in expected]
        assert cells[0]["cell_type"] == "markdown"
        assert any(c["source"].startswith("#| default_exp core.activations") for c in cells)
        assert sum(c["cell_type"] == "code" for c in cells) > 10
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(f"{base}/api/contents/{DEV}?type=notebook")
        assert refused.value.code == 403, "the server must want its token"
        plugin = _get(f"{base}/lab/api/settings/@jupyterlab/docmanager-extension:plugin", token)
        assert plugin["schema"]["properties"]["defaultViewers"]["default"]["python"] == "Jupytext Notebook"
        deadline = time.monotonic() + 20
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert opened.exists() and opened.read_text() == url, "the browser was not sent to the dev file"

        tito.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert tito.wait(STOP_WAIT) == 0
        time.sleep(0.5)
        output = server.drain()
        assert "stopped." in output and "Traceback" not in output
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        assert not _server_pids(runtime), "the server left its runtime file: it did not shut down cleanly"
    finally:
        server.close()


def _put(url: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def _kernel_language_info() -> dict:
    """What a real python3 kernel answers in its kernel_info reply (what JupyterLab stores)."""
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", startup_timeout=START_WAIT)
    try:
        return client.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_chapter_opened_and_saved_unchanged_stays_byte_for_byte_the_same(real_project, tmp_path):
    dev_files = sorted(p.relative_to(real_project.root).as_posix()
                       for p in (real_project.root / "assignments" / "source").glob("*/*_dev.py"))
    assert len(dev_files) >= 8
    before = {path: (real_project.root / path).read_bytes() for path in dev_files}
    env = _env(real_project, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    server = _Server(real_project, ["--no-browser", "--port", str(_free_port())], env)
    try:
        url = server.wait_for_url()
        base, token = url.split("/lab")[0], url.split("token=")[1]
        spec = _get(f"{base}/api/kernelspecs", token)["kernelspecs"]["python3"]["spec"]
        # What JupyterLab sets once the kernel runs; equal values are no change (no unsaved-changes dot).
        from_kernel = {"kernelspec": {"name": "python3", "display_name": spec["display_name"],
                                      "language": spec["language"]},
                       "language_info": _kernel_language_info()}
        for path in dev_files:
            model = _get(f"{base}/api/contents/{path}?type=notebook", token)
            metadata = model["content"]["metadata"]
            for key, value in from_kernel.items():
                assert metadata.get(key) == value, f"{path}: starting the kernel changes {key}: {metadata.get(key)}"
            _put(f"{base}/api/contents/{path}", token, {"type": "notebook", "format": "json",
                                                        "content": model["content"]})
            assert (real_project.root / path).read_bytes() == before[path], f"{path} changed by open + save"

        path = "assignments/source/02_activations/activations_dev.py"  # a real edit changes only itself
        model = _get(f"{base}/api/contents/{path}?type=notebook", token)
        cell = next(c for c in model["content"]["cells"] if c["cell_type"] == "code")
        old = cell["source"]
        cell["source"] = old + "\nprint('edited')"
        _put(f"{base}/api/contents/{path}", token, {"type": "notebook", "format": "json",
                                                    "content": model["content"]})
        text = (real_project.root / path).read_text()
        assert text == before[path].decode().replace(old, old + "\nprint('edited')", 1)
    finally:
        server.close()
    assert "Traceback" not in server.drain()


@pytest.mark.parametrize("flag, package, name", [("--lab", "jupyterlab", "JupyterLab"),
                                                 ("--notebook", "notebook", "Jupyter Notebook")])
def test_missing_jupyter_says_how_to_install_it(project, tmp_path, flag, package, name):
    fake = tmp_path / "fake" / package
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(f'raise ImportError("No module named {package!r}")\n')
    done = _tito(project, "jupyter", flag, "--no-browser", "--port", str(_free_port()),
                 env=_env(project, PYTHONPATH=str(fake.parent)))
    assert done.returncode == 2
    assert f"{name} is not installed" in done.stderr
    assert f"{sys.executable} -m pip install {package}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_port_in_use_is_a_clear_error(project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = project.tito("jupyter", "--port", str(port), "--no-browser")
    assert done.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in done.stderr
    assert "Traceback" not in done.stderr
