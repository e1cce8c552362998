

# How to install PyTorch, the optional oracle: the one hint every message gives.
TORCH_INSTALL = "TINYTORCH_EXTRAS=torch source bin/activate-tinytorch.sh"

# The pytest plugins every run of tests by tito loads, named instead of autoloaded. pytest
# marks every module of an autoloaded plugin's distribution for assertion rewriting, and
# with bytecode writing off (PYTHONDONTWRITEBYTECODE, the grader's sandbox) it rewrites
# Hypothesis's hundred-odd modules again on every run, seconds of a learner's wait; named
# plugins also keep whatever else a machine has installed out of a learner's test run.
PYTEST_PLUGINS = ("--disable-plugin-autoload", "-p", "_hypothesis_pytestplugin", "-p", "no:cacheprovider")
