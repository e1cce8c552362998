# TinyTorch environment: `source bin/activate-tinytorch.sh` (bash or zsh, from any folder).
#
# First time: creates .venv in the project and installs into it TinyTorch (editable) with
# everything its tests use: what a learner needs, PyTorch 2.13.0 built for the CPU (the
# oracle the tests cross-check against) and nbgrader (whose real workflow the tests run).
# Then it activates .venv, so `tito` is on PATH. Later: only activates, unless
# pyproject.toml or this file changed, or PyTorch or nbgrader went missing.
#
# PyTorch: the CPU build, about 190 MB. On Linux PyPI's torch is the CUDA build, which
# pulls about 2 GB of NVIDIA libraries a CPU never uses, so torch alone comes from
# PyTorch's CPU index (https://download.pytorch.org/whl/cpu), unless pip finds torch 2.13.0
# without any index (a wheel in a --find-links folder of pip's configuration). macOS's
# torch on PyPI is the CPU build already.

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

_tt_torch=2.13.0
_tt_torch_cpu_index=https://download.pytorch.org/whl/cpu

_tt_has() {  # _tt_has VENV NAME VERSION-PREFIX: an installed distribution, found without starting Python
    local found
    [ -n "${ZSH_VERSION:-}" ] && setopt local_options null_glob  # no match: no error, no loop
    for found in "$1"/lib/python3*/site-packages/"$2"-"$3"*.dist-info; do
        [ -d "$found" ] && return 0
    done
    return 1
}

_tt_install_torch() {  # _tt_install_torch PYTHON LOG: torch $_tt_torch, CPU-only, without its dependencies
    local python="$1" log="$2"
    # A wheel pip finds without an index (this machine's --find-links) costs no download.
    if "$python" -m pip install --disable-pip-version-check --no-deps --no-index "torch==$_tt_torch" >>"$log" 2>&1; then
        return 0
    fi
    if [ "$(uname -s 2>/dev/null)" = "Darwin" ]; then
        "$python" -m pip install --disable-pip-version-check --no-deps "torch==$_tt_torch" >>"$log" 2>&1
    else
        "$python" -m pip install --disable-pip-version-check --no-deps --index-url "$_tt_torch_cpu_index" \
            "torch==$_tt_torch" >>"$log" 2>&1
    fi
}

_tt_setup() {
    local root python venv stamp wanted log
    root="$(cd "$(dirname "$1")/.." && pwd)" || return 1
    python="${TINYTORCH_PYTHON:-python3}"
    venv="$root/.venv"
    if ! command -v "$python" >/dev/null 2>&1; then
        echo "TinyTorch: $python not found; install Python 3.10 or newer" >&2
        return 1
    fi
    if [ ! -x "$venv/bin/python" ]; then
        if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
            echo "TinyTorch: needs Python 3.10 or newer; $python is $("$python" --version 2>&1)" >&2
            return 1
        fi
        echo "TinyTorch: creating the virtual environment $venv"
        "$python" -m venv "$venv" || return 1
    fi
    stamp="$venv/.tinytorch-installed"
    wanted="$(cat "$root/pyproject.toml" "$root/bin/activate-tinytorch.sh" 2>/dev/null | cksum)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] || ! _tt_has "$venv" torch "$_tt_torch" \
            || ! _tt_has "$venv" nbgrader ""; then
        log="$venv/tinytorch-install.log"
        echo "TinyTorch: updating pip (log: $log)"
        "$venv/bin/python" -m pip install --upgrade pip >"$log" 2>&1
        if ! _tt_has "$venv" torch "$_tt_torch"; then
            echo "TinyTorch: installing PyTorch $_tt_torch for the CPU (the tests' oracle; about 190 MB)"
            if ! _tt_install_torch "$venv/bin/python" "$log"; then
                echo "TinyTorch: PyTorch $_tt_torch could not be installed; pip's full output is in $log. Its last lines:" >&2
                tail -n 8 "$log" >&2
                echo "TinyTorch: fix that (a network connection?) and source this file again" >&2
                return 1
            fi
        fi
        echo "TinyTorch: installing TinyTorch and its dependencies into .venv (a few minutes the first time)"
        if ! "$venv/bin/python" -m pip install --disable-pip-version-check -e "$root[torch,grading,lint]" >>"$log" 2>&1; then
            echo "TinyTorch: installation failed; pip's full output is in $log. Its last lines:" >&2
            tail -n 8 "$log" >&2
            echo "TinyTorch: fix that and source this file again" >&2
            return 1
        fi
        echo "$wanted" > "$stamp"
        echo "TinyTorch: installed. Try: tito status"
    fi
    # shellcheck disable=SC1091
    . "$venv/bin/activate" || return 1
}

_tt_setup "$_tt_script"
_tt_status=$?
unset -f _tt_setup _tt_has _tt_install_torch
unset _tt_script _tt_torch _tt_torch_cpu_index
if [ "$_tt_status" -ne 0 ]; then
    unset _tt_status
    return 1 2>/dev/null || exit 1
fi
unset _tt_status
