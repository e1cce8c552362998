"""Running code nobody vouched for: one command in a contained subprocess.

`tito grade` runs each submission's worker (tito.grading.worker) through `start(job)`.
What the sandbox gives depends on the machine; `probe()` finds out once and
`Sandbox.protections()` says it:

Always (any Linux, any user):
- its own process session; when the job ends, the session is killed and then every
  process it started, even one that left the session (`setsid`, a double fork): the
  judge is their "subreaper", so orphans come back to it and are swept until none is left;
  the worker also dies with the judge (parent-death signal);
- resource limits: address space (`memory_mb`), CPU seconds, size of any file it
  writes (`file_mb`), open files, no core dumps; a fresh working folder, HOME and TMPDIR.

Isolated mode (where `unshare` works: as root, e.g. a container or `sudo`, or as any
user where the kernel gives user namespaces, as most Linux distributions do):
- no network: a new, empty network namespace (not even loopback is up);
- a new PID namespace: it sees only its own processes, and when its first process
  ends, every process it started dies with it;
- a new mount namespace in which every copy of the reference solutions the grader found
  (the checkout's tree, its git worktrees and clones on this machine, an installed
  `tinytorch`, and whatever the instructor names with --hide), HOME, /tmp, /var/tmp,
  /dev/shm and /run/lock are replaced by empty folders; the Python installation, the
  files the job names (the worker's own code, none of the rest of tito) and the job's
  own folder are mounted back;
- a disk quota: the working folder is a private tmpfs of `disk_mb`, and the other places
  it could write (/tmp, /var/tmp, /dev/shm, /run/lock) hold 1 MB each;
- as root, it runs as a throwaway user id of its own (one per job), so it can change no
  file of the instructor's, nor another job's, and no process but its own; as another user,
  every folder but its own is read-only to it and it keeps no capability, which gives the
  same (only the limit on its number of processes is not given).

Not given: a job can read the files outside the hidden folders that its user may read
(as root: the world-readable ones). Without isolated mode there is no network, file or
disk separation beyond the limits above, and the job runs as your user: it can read and
change whatever you can.
"""
from __future__ import annotations

import contextlib
import ctypes
import json
import math
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
AS_USER = ["--user", "--map-root-user"]   # not root: a user namespace of its own, where it is root
FIRST_UID = 1_500_000  # throwaway user ids: FIRST_UID + job number; no account has them
WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 1, 4, 36


@dataclass(frozen=True)
class Limits:
    timeout: float = 300.0   # wall-clock seconds for one submission (math.inf: none)
    memory_mb: int = 2048    # address space (RLIMIT_AS)
    file_mb: int = 64        # largest file it may write (RLIMIT_FSIZE)
    disk_mb: int = 256       # everything it may write, in isolated mode (tmpfs size)
    processes: int = 64      # processes and threads of its user (RLIMIT_NPROC; isolated mode)
    open_files: int = 256


@dataclass(frozen=True)
class Sandbox:
    isolated: bool
    reason: str = ""      # why not, when not
    as_user: bool = False  # isolated by a user namespace (tito grade is not root)

    def protections(self) -> list[tuple[str, bool]]:
        """(protection, given) pairs, for the report."""
        return [
            ("time limit, killed with every process it started", True),
            ("memory, CPU-time and file-size limits", True),
            ("own working folder, HOME and TMPDIR", True),
            ("no network", self.isolated),
            ("the solutions, tito and HOME hidden", self.isolated),
            ("disk quota", self.isolated),
            ("cannot change your files or another submission's", self.isolated),
            ("sees only its own processes", self.isolated),
        ]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> bool:
    try:
        return _libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


@lru_cache(maxsize=1)
def probe() -> Sandbox:
    """Whether this machine gives isolated mode: `unshare` with all namespaces, as root or in a
    user namespace (where mounting works in it too).

    TINYTORCH_GRADE_SANDBOX=limits asks for limits only even where isolation works (to see
    what an instructor gets on a machine without namespaces)."""
    if os.environ.get("TINYTORCH_GRADE_SANDBOX") == "limits":
        return Sandbox(False, "limits only, as TINYTORCH_GRADE_SANDBOX asks")
    if not sys.platform.startswith("linux"):
        return Sandbox(False, "namespaces need Linux")
    unshare = shutil.which("unshare")
    if not unshare:
        return Sandbox(False, "the `unshare` command (util-linux) is missing")
    as_user = os.geteuid() != 0
    command = [unshare, *(AS_USER if as_user else []), *UNSHARE, sys.executable, "-m", "tito.grading.sandbox", "probe"]
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, env={"PATH": os.environ.get("PATH", "")},
                              cwd="/", check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Sandbox(False, f"`unshare` failed: {exc}")
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no reason given"]
        if as_user:
            return Sandbox(False, "this machine gives no user namespaces to a user who is not root (run tito grade "
                                  f"as root for isolation): {why[0]}")
        return Sandbox(False, f"`unshare` refused namespaces: {why[0]}")
    return Sandbox(True, as_user=as_user)


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
    pass_fds: tuple[int, ...] = ()                    # pipes it talks over

    @property
    def work(self) -> Path:
        return self.folder / "work"


def describe_exit(code: int | None) -> str:
    if code is None:
        return "was killed"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


class Running:
    """A started job. `end()` kills it and everything it started, and says how it ended."""

    def __init__(self, process: subprocess.Popen, log: Path, memory_mb: int):
        self.process, self.log, self.memory_mb = process, log, memory_mb
        self.how: str | None = None

    def end(self, expect_exit: bool = False) -> str:
        """Kill it; `expect_exit` when it closed its pipe, i.e. is ending by itself."""
        if self.how is not None:
            return self.how
        try:
            code = self.process.wait(2) if expect_exit else self.process.poll()
        except subprocess.TimeoutExpired:
            code = None
        with contextlib.suppress(ProcessLookupError, PermissionError):   # the whole session: in isolated
            os.killpg(self.process.pid, signal.SIGKILL)   # mode the PID namespace dies with its first process
        self.process.wait()
        sweep()
        self.how = describe_exit(code if code is not None else None)
        if code is not None and code in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
            self.how += f" (at the memory limit of {self.memory_mb} MB?)"
        return self.how

    def output(self, size: int = 4000) -> str:
        try:
            with open(self.log, "rb") as handle:
                handle.seek(max(0, self.log.stat().st_size - size))
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry))
    return found


def sweep(rounds: int = 200) -> None:
    """Kill every process left under this one (orphans come back here: we are their subreaper)."""
    for _ in range(rounds):
        children = _children(os.getpid())
        if not children:
            break
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        deadline = time.monotonic() + 1
        for child in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, 0 if time.monotonic() < deadline else os.WNOHANG)


def guard_judge(grader: int) -> None:
    """The judge: no process of the same user may trace it or read its memory; orphans come here;
    it dies with tito grade (process `grader`), whatever ends that."""
    prctl(_PR_SET_DUMPABLE, 0)
    prctl(_PR_SET_CHILD_SUBREAPER, 1)
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != grader:   # it ended before the line above
        os._exit(1)


def start(job: Job, sandbox: Sandbox | None = None) -> Running:
    """Start `job` contained; never raises for anything the job does."""
    sandbox = sandbox or probe()
    uid = FIRST_UID + job.number if sandbox.isolated and not sandbox.as_user else None
    job.work.mkdir(mode=0o700, exist_ok=True)
    (job.work / "tmp").mkdir(mode=0o700, exist_ok=True)
    if uid is not None:
        for path in (job.work, job.work / "tmp"):
            os.chown(path, uid, uid)
    spec = {"argv": job.argv, "env": job.env, "cwd": str(job.work), "uid": uid,
            "limits": {k: (None if isinstance(v, float) and math.isinf(v) else v)
                       for k, v in asdict(job.limits).items()},
            "hide": job.hide if sandbox.isolated else [], "as_user": sandbox.isolated and sandbox.as_user,
            "keep": job.keep + [str(job.folder)], "folder": str(job.folder), "work": str(job.work)}
    command = [sys.executable, "-m", "tito.grading.sandbox", json.dumps(spec)]
    if sandbox.isolated:
        command = [shutil.which("unshare"), *(AS_USER if sandbox.as_user else []), *UNSHARE, *command]
    log = job.folder / "output.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=job.folder, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True, pass_fds=job.pass_fds,
                                   preexec_fn=lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL),
                                   env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"})
    return Running(process, log, job.limits.memory_mb)


# ---- inside the sandbox: `python -m tito.grading.sandbox SPEC` --------------------------------

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 2, 4, 8, 32, 4096, 16384
_KEPT_FLAGS = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC, "noatime": 1024,
               "nodiratime": 2048, "relatime": 1 << 21, "strictatime": 1 << 24}
_PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS = 24, 38


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    libc = _libc()
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
        mode = "1777" if top in WRITABLE else "0755"
        _mount("tmpfs", top, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size=1m,mode={mode}")
    for path, handle in handles.items():
        if os.path.isdir(f"/proc/self/fd/{handle}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        _mount(f"/proc/self/fd/{handle}", path, None, _MS_BIND | _MS_REC)
        os.close(handle)


def _quota(work: str, uid: int, disk_mb: int) -> None:
    """The working folder becomes a tmpfs of `disk_mb`: all the job may write (with 1 MB per WRITABLE)."""
    _mount("tmpfs", work, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={disk_mb}m,mode=0700,uid={uid},gid={uid}")
    os.mkdir(os.path.join(work, "tmp"), 0o700)
    os.chown(os.path.join(work, "tmp"), uid, uid)


def _limit(limits: dict, isolated: bool) -> None:
    def cap(kind, value):
        resource.setrlimit(kind, (value, value))

    cap(resource.RLIMIT_AS, limits["memory_mb"] * 2**20)
    cap(resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20)
    if limits["timeout"] is not None:
        cap(resource.RLIMIT_CPU, int(limits["timeout"]) + 5)
    cap(resource.RLIMIT_CORE, 0)
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    if isolated:  # counted per user id, so only meaningful for the throwaway one
        cap(resource.RLIMIT_NPROC, limits["processes"])


def _read_only(writable: list[str]) -> None:
    """Every mount read-only but the folders in `writable` (and those under them)."""
    with open("/proc/self/mountinfo") as handle:
        mounts = [line.split() for line in handle]
    for fields in mounts:
        point = fields[4].encode().decode("unicode_escape")   # mountinfo writes a space as \\040
        if "ro" in fields[5].split(",") or any(_within(point, folder) for folder in writable):
            continue
        flags = sum(_KEPT_FLAGS.get(option, 0) for option in fields[5].split(","))
        try:
            _mount("none", point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags)
        except OSError:
            if os.path.isdir(point) and os.access(point, os.W_OK):
                raise


def _drop_capabilities() -> None:
    """No capability survives the exec, and none can be gained again (root in a user namespace)."""
    with open("/proc/sys/kernel/cap_last_cap") as handle:
        last = int(handle.read())
    for capability in range(last + 1):
        if _libc().prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")
    if not prctl(_PR_SET_NO_NEW_PRIVS, 1):
        raise OSError(ctypes.get_errno(), "cannot forbid new privileges")


def _enter(spec: dict) -> None:
    uid = spec["uid"]
    if spec["hide"]:
        _hide(spec["hide"], spec["keep"])
    if spec.get("as_user"):   # root of its own user namespace: the rest of the machine made read-only
        _read_only([spec["folder"], *WRITABLE])
        _mount("tmpfs", spec["work"], "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={spec['limits']['disk_mb']}m,mode=0700")
        os.mkdir(os.path.join(spec["work"], "tmp"), 0o700)
    if uid is not None:
        _quota(spec["work"], uid, spec["limits"]["disk_mb"])
    _limit(spec["limits"], uid is not None)
    if uid is not None:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if spec.get("as_user"):
        _drop_capabilities()
    os.chdir(spec["cwd"])
    os.umask(0o077)
    os.execve(spec["argv"][0], spec["argv"], spec["env"])


if __name__ == "__main__":
    if sys.argv[1] == "probe":   # inside the namespaces probe() asked for: can it mount?
        _mount("tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m")
        sys.exit(0)
    _enter(json.loads(sys.argv[1]))
