"""The READMEs tell the truth: every `tito` command they show parses, and the manual
test in the activations guide prints what the guide says it prints."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from tito.main import build_parser

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", *sorted((ROOT / "assignments" / "source").glob("*/README.md"))]


def _tito_lines(text: str) -> list[str]:
    """Every `tito ...` command in the fenced code blocks of a README (comments dropped)."""
    lines = []
    for block in re.findall(r"```(?:bash|sh)?\n(.*?)```", text, re.S):
        for line in block.splitlines():
            for part in line.split("&&"):
                part = part.split("#", 1)[0].strip()
                if part.startswith("tito "):
                    lines.append(part)
    return lines


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_tito_command_in_the_readmes_parses(readme):
    lines = _tito_lines(readme.read_text(encoding="utf-8"))
    assert lines, f"{readme} shows no tito command"
    parser = build_parser()
    for line in lines:
        args = [a.replace("*", "x") for a in shlex.split(line)[1:]]  # a glob stands for files
        try:
            parsed = parser.parse_args(args)
        except SystemExit:
            pytest.fail(f"{readme.name}: `{line}` is not a valid tito command")
        assert getattr(parsed, "run", None), f"{readme.name}: `{line}` names no command"


def test_activations_manual_test_prints_what_the_guide_says():
    text = (ROOT / "assignments" / "source" / "02_activations" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it by hand", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    documented = re.search(r"prints[^\n]*\n+```\n(.*?)```", section, re.S)[1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README manual test", "exec"), {})
    assert out.getvalue() == documented, f"the guide documents\n{documented}\nbut the code prints\n{out.getvalue()}"


def test_ci_runs_the_readme_test_command_as_written_and_sets_nothing_a_user_does_not():
    """CI passes only if the README's test command passes for a user: .ci/run runs that line
    unchanged and changes no TinyTorch setting before it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [block.strip() for block in re.findall(r"```bash\n(.*?)```", quick, re.S)]
    test_command = next(c for c in commands if "tito test --all" in c)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    code = [line.split("#", 1)[0].strip() for line in ci.splitlines()]
    assert test_command in code, f".ci/run does not run `{test_command}` as the README gives it"
    before = code[:code.index(test_command)]
    assert not [line for line in before if "TINYTORCH" in line], "CI must not set what a user does not"
