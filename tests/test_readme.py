"""Every Python block in README.md runs as written, each on its own in a fresh interpreter.

A block is a fenced code block marked ``python``; it runs in an empty temporary directory (so
files it writes land there) with this interpreter and no setup of its own, as a reader would
paste it.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks():
    text = README.read_text(encoding="utf-8")
    out = []
    for m in BLOCK.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        out.append(pytest.param(m.group(1), id=f"README.md:{line}"))
    return out


BLOCKS = _blocks()


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_block_runs(code, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "KERAS_", "PYTEST"))}
    env["MPLBACKEND"] = "Agg"
    r = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning:lrsched", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, f"exit {r.returncode}\n--- stdout\n{r.stdout[-2000:]}\n--- stderr\n{r.stderr[-4000:]}"
