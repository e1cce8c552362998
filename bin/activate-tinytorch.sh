# TinyTorch environment: `source bin/activate-tinytorch.sh` (bash or zsh, from any folder).
#
# First time: creates .venv in the project, installs TinyTorch (editable) with what a
# learner needs, and activates it, so `tito` is on PATH. Later: only activates, unless
# pyproject.toml changed since the last install, in which case it installs again.
# Set TINYTORCH_EXTRAS=torch to also install PyTorch, the oracle some tests cross-check
# against (CI does; learners may skip it, the tests then skip those cross-checks).

if [ -n "${BASH_VERSION:-}" ]; then
    _tt_script="${BASH_SOURCE[0]}"
    (return 0 2>/dev/null) || { echo "TinyTorch: source this file, do not run it: source bin/activate-tinytorch.sh" >&2; exit 1; }
elif [ -n "${ZSH_VERSION:-}" ]; then
    _tt_script="${(%):-%x}"
else
    echo "TinyTorch: this file needs bash or zsh (sh cannot activate a virtual environment for you)." >&2
    echo "TinyTorch: in a bash or zsh terminal, run: source bin/activate-tinytorch.sh" >&2
    return 1 2>/dev/null || exit 1
fi

_tt_setup() {
    local root python stamp wanted extras spec log
    root="$(cd "$(dirname "$1")/.." && pwd)" || return 1
    python="${TINYTORCH_PYTHON:-python3}"
    extras="${TINYTORCH_EXTRAS:-}"
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "TinyTorch: $python not found; install Python 3.10 or newer" >&2
        return 1
    fi
    if [ ! -x "$root/.venv/bin/python" ]; then
        if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
            echo "TinyTorch: needs Python 3.10 or newer; $python is $("$python" --version 2>&1)" >&2
            return 1
        fi
        echo "TinyTorch: creating the virtual environment $root/.venv"
        "$python" -m venv "$root/.venv" || return 1
    fi
    stamp="$root/.venv/.tinytorch-installed"
    wanted="$(cat "$root/pyproject.toml" "$root/bin/activate-tinytorch.sh" 2>/dev/null | cksum) extras=$extras"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
        spec="$root"
        [ -n "$extras" ] && spec="$root[$extras]"
        log="$root/.venv/tinytorch-install.log"
        echo "TinyTorch: updating pip (log: $log)"
        "$root/.venv/bin/python" -m pip install --upgrade pip >"$log" 2>&1
        echo "TinyTorch: installing TinyTorch and its dependencies into .venv (a few minutes the first time)"
        if ! "$root/.venv/bin/python" -m pip install --disable-pip-version-check -e "$spec" >>"$log" 2>&1; then
            echo "TinyTorch: installation failed; pip's full output is in $log. Its last lines:" >&2
            tail -n 8 "$log" >&2
            echo "TinyTorch: fix that and source this file again" >&2
            return 1
        fi
        echo "$wanted" > "$stamp"
        echo "TinyTorch: installed. Try: tito status"
    fi
    # shellcheck disable=SC1091
    . "$root/.venv/bin/activate" || return 1
}

_tt_setup "$_tt_script"
_tt_status=$?
unset -f _tt_setup
unset _tt_script
if [ "$_tt_status" -ne 0 ]; then
    unset _tt_status
    return 1 2>/dev/null || exit 1
fi
unset _tt_status
