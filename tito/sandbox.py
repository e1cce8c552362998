"""Running code nobody vouched for: one command in a contained subprocess.

`tito grade` runs each submission's tests through `run(job)`. What the sandbox gives
depends on the machine; `probe()` finds out once and `Sandbox.protections()` says it:

Always (any Linux, any user):
- its own process and session, killed (with everything it started) after `timeout`;
- resource limits: address space (`memory_mb`), CPU seconds, size of any file it
  writes (`file_mb`), no core dumps; a fresh working folder, HOME and TMPDIR.

Isolated mode (running as root where `unshare` works, e.g. a container or `sudo`):
- no network: a new, empty network namespace (not even loopback is up);
- a new PID namespace: it sees only its own processes, and when its first process
  ends, every process it started dies with it;
- a new mount namespace in which the checkout's `assignments/`, `tinytorch/` and
  `.git/` (the reference solutions), HOME, /tmp, /var/tmp and /dev/shm are replaced
  by empty folders (/tmp by a private, writable one); the Python installation, tito
  and the job's own folder are mounted back;
- it runs as a throwaway user id of its own (one per job), so it can change no file
  of the instructor's, nor another job's, and no process but its own.

Not given: a job can read world-readable files outside the hidden folders, and it runs
in the same process as its tests, so it can tamper with its own result (never with
another row's). Without isolated mode there is no network, file or process separation
beyond the limits above.
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

UNSHARE = ["--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc"]
FIRST_UID = 1_500_000  # throwaway user ids: FIRST_UID + job number; no account has them


@dataclass(frozen=True)
class Limits:
    timeout: float = 120.0   # wall-clock seconds for the whole run
    memory_mb: int = 2048    # address space (RLIMIT_AS)
    file_mb: int = 64        # largest file it may write (RLIMIT_FSIZE)
    processes: int = 64      # processes and threads of its user (RLIMIT_NPROC; isolated mode)
    open_files: int = 256


@dataclass(frozen=True)
class Sandbox:
    isolated: bool
    reason: str = ""  # why not, when not

    def protections(self) -> list[tuple[str, bool]]:
        """(protection, given) pairs, for the report."""
        return [
            ("time limit, killed with every process it started", True),
            ("memory, CPU-time and file-size limits", True),
            ("own working folder, HOME and TMPDIR", True),
            ("no network", self.isolated),
            ("reference solutions and HOME hidden", self.isolated),
            ("cannot change the instructor's or other submissions' files", self.isolated),
            ("sees only its own processes", self.isolated),
        ]


@lru_cache(maxsize=1)
def probe() -> Sandbox:
    """Whether this machine gives isolated mode (root, and `unshare` with all namespaces)."""
    if not sys.platform.startswith("linux"):
        return Sandbox(False, "namespaces need Linux")
    if os.geteuid() != 0:
        return Sandbox(False, "isolation needs root (run tito grade as root, e.g. in a container or with sudo)")
    unshare = shutil.which("unshare")
    if not unshare:
        return Sandbox(False, "the `unshare` command (util-linux) is missing")
    try:
        done = subprocess.run([unshare, *UNSHARE, "true"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Sandbox(False, f"`unshare` failed: {exc}")
    if done.returncode != 0:
        return Sandbox(False, f"`unshare` refused namespaces: {done.stderr.decode(errors='replace').strip()}")
    return Sandbox(True)


@dataclass
class Job:
    """One command to contain. `folder` is its own (created by the caller); `work` inside it
    is the only place it may write."""

    argv: list[str]
    env: dict[str, str]
    folder: Path
    limits: Limits
    number: int = 0                                   # picks the throwaway user id
    hide: list[str] = field(default_factory=list)     # emptied in isolated mode
    keep: list[str] = field(default_factory=list)     # mounted back inside hidden folders

    @property
    def work(self) -> Path:
        return self.folder / "work"


@dataclass
class Finished:
    returncode: int | None
    timed_out: bool
    seconds: float
    output: str  # the tail of what it printed


def _tail(path: Path, size: int = 4000) -> str:
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode("utf-8", errors="replace")


def run(job: Job, sandbox: Sandbox | None = None) -> Finished:
    """Run `job` contained; never raises for anything the job does."""
    sandbox = sandbox or probe()
    uid = FIRST_UID + job.number if sandbox.isolated else None
    job.work.mkdir(mode=0o700, exist_ok=True)
    (job.work / "tmp").mkdir(mode=0o700, exist_ok=True)
    if uid is not None:
        for path in (job.work, job.work / "tmp"):
            os.chown(path, uid, uid)
    spec = {"argv": job.argv, "env": job.env, "cwd": str(job.work), "uid": uid,
            "limits": asdict(job.limits), "hide": job.hide if sandbox.isolated else [],
            "keep": job.keep + [str(job.folder)]}
    command = [sys.executable, "-m", "tito.sandbox", json.dumps(spec)]
    if sandbox.isolated:
        command = [shutil.which("unshare"), *UNSHARE, *command]
    log = job.folder / "output.log"
    start = time.monotonic()
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=job.folder, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
        timed_out = False
        try:
            process.wait(job.limits.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:  # the whole session: in isolated mode the PID namespace dies with its first process
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
    return Finished(None if timed_out else process.returncode, timed_out, time.monotonic() - start, _tail(log))


# ---- inside the sandbox: `python -m tito.sandbox SPEC` ------------------------------------

_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC = 2, 4, 4096, 16384


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    encode = lambda s: s.encode() if s is not None else None  # noqa: E731
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {target}: {os.strerror(error)}")


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(hide: list[str], keep: list[str]) -> None:
    """Empty each folder in `hide` (a private tmpfs over it) and mount the `keep` paths back."""
    hide = sorted({os.path.realpath(p) for p in hide if os.path.isdir(p)})
    tops = [p for p in hide if not any(_within(p, other) and p != other for other in hide)]
    keep = sorted({os.path.realpath(p) for p in keep if os.path.exists(p)})
    keep = [k for k in keep if any(_within(k, top) for top in tops)]
    handles = {k: os.open(k, os.O_PATH) for k in keep}
    for top in tops:
        writable = top in ("/tmp", "/var/tmp", "/dev/shm")
        _mount("tmpfs", top, "tmpfs", _MS_NOSUID | _MS_NODEV,
               "size=256m,mode=1777" if writable else "size=1m,mode=0755")
    for path, handle in handles.items():
        if os.path.isdir(f"/proc/self/fd/{handle}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(f"/proc/self/fd/{handle}", path, None, _MS_BIND | _MS_REC)
        os.close(handle)


def _limit(limits: dict, isolated: bool) -> None:
    def cap(kind, value):
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_AS, limits["memory_mb"] * 2**20)
    cap(resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20)
    cap(resource.RLIMIT_CPU, int(limits["timeout"]) + 5)
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    if isolated:  # counted per user id, so only meaningful for the throwaway one
        cap(resource.RLIMIT_NPROC, limits["processes"])


def _enter(spec: dict) -> None:
    uid = spec["uid"]
    if spec["hide"]:
        _hide(spec["hide"], spec["keep"])
    _limit(spec["limits"], uid is not None)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    os.chdir(spec["cwd"])
    os.umask(0o077)
    os.execve(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    _enter(json.loads(sys.argv[1]))
