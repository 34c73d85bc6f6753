"""The set-up the README describes is the one CI runs: the same system packages, no more.

CI (``.ci/run``) installs only these packages and then runs the whole suite, whose PDF tests
print in each font situation; so if printing needed anything the README does not list, CI
would fail.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def apt_packages(text: str) -> set[str]:
    """The packages of the ``apt-get install`` command in ``text`` (continued lines joined)."""
    joined = text.replace("\\\n", " ")
    commands = re.findall(r"apt-get install([^\n>]*)", joined)
    assert len(commands) == 1, commands
    return {word for word in commands[0].split() if not word.startswith("-")}


def test_ci_installs_exactly_what_the_readme_lists():
    readme = apt_packages((ROOT / "README.md").read_text(encoding="utf-8"))
    ci = apt_packages((ROOT / ".ci" / "run").read_text(encoding="utf-8"))
    assert readme == ci
    assert "fonts-noto-cjk" in readme  # the Chinese font the PDF tests rely on
