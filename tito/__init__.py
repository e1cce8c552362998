# First of all (the `tito` program imports this package before anything else of tito):
# Ctrl-C now ends tito quietly. Only modules Python has already loaded are used here
# (`_signal` is the builtin under `signal`, whose own import takes milliseconds).
import _signal
import os
import sys


def _interrupted_while_starting(signum, frame):
    os.write(2, b"error: interrupted\n")
    os._exit(130)


def quiet_while_starting() -> None:
    """Until a command runs, Ctrl-C or SIGTERM ends tito at once with "interrupted" (exit 130):
    tito is still importing and parsing (the first ~150 ms), nothing to clean up yet, and
    Python's KeyboardInterrupt would print a traceback. `tito.main` hands the signals to
    the command once it runs."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        try:
            _signal.signal(getattr(_signal, name), _interrupted_while_starting)
        except (AttributeError, ValueError, OSError):  # no such signal here, or not the main thread
            pass


def _is_the_tito_program() -> bool:
    """This process is `tito` (its console script, or python -m tito), not a program importing tito."""
    argv = list(getattr(sys, "orig_argv", []))
    return os.path.basename(sys.argv[0]) == "tito" or any(
        a == "-m" and b == "tito" for a, b in zip(argv, argv[1:]))


if _is_the_tito_program():
    quiet_while_starting()

# PyTorch is the independent implementation the tests cross-check against; the set-up
# installs it (2.13.0, built for the CPU). The one hint every message gives:
TORCH_INSTALL = "source bin/activate-tinytorch.sh, which installs PyTorch 2.13.0 for the CPU"

# TINYTORCH_HIDE_TORCH=1 runs everything as on a machine without PyTorch: every process
# that imports tito (its commands, the modules' tests through tito.testing, the catalogues,
# grading) finds no torch, so the cross-checks skip (even in CI) and nothing else changes.
HIDE_TORCH_ENV = "TINYTORCH_HIDE_TORCH"


def torch_is_hidden() -> bool:
    """Whether PyTorch is hidden from this process and its children ($TINYTORCH_HIDE_TORCH)."""
    return os.environ.get(HIDE_TORCH_ENV, "").strip().lower() not in ("", "0", "false", "no")


class _WithoutTorch:
    """One of Python's module finders with torch left out: it finds every other module as before."""

    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            return None
        find = getattr(self.finder, "find_spec", None)
        return find(name, path, target) if find is not None else None

    def __getattr__(self, name):  # invalidate_caches, find_distributions (importlib.metadata), ...
        return getattr(self.finder, name)


def hide_torch() -> dict:
    """Make torch absent here, as on a machine without it: `import torch` raises
    ModuleNotFoundError, importlib.util.find_spec("torch") is None, and "torch" is not in
    sys.modules at all (a None there, Python's other way, breaks libraries such as SciPy
    that look torch up in sys.modules to recognise its tensors). Returns the torch
    modules imported before, set aside (show_torch brings them back)."""
    saved = {name: module for name, module in sys.modules.items()
             if (name == "torch" or name.startswith("torch.")) and module is not None}
    for name in saved:
        del sys.modules[name]
    sys.meta_path[:] = [f if isinstance(f, _WithoutTorch) else _WithoutTorch(f) for f in sys.meta_path]
    return saved


def show_torch(saved: dict) -> None:
    """Undo hide_torch: torch is found again, and the modules it set aside come back."""
    sys.meta_path[:] = [f.finder if isinstance(f, _WithoutTorch) else f for f in sys.meta_path]
    sys.modules.update(saved)


if torch_is_hidden():
    hide_torch()

# The pytest plugins every run of tests by tito loads, named instead of autoloaded. pytest
# marks every module of an autoloaded plugin's distribution for assertion rewriting, and
# with bytecode writing off (PYTHONDONTWRITEBYTECODE, the grader's sandbox) it rewrites
# Hypothesis's hundred-odd modules again on every run, seconds of a learner's wait; named
# plugins also keep whatever else a machine has installed out of a learner's test run.
PYTEST_PLUGINS = ("--disable-plugin-autoload", "-p", "_hypothesis_pytestplugin", "-p", "no:cacheprovider")
