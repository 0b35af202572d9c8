"""The documentation says what the code does: every keyword a migration table writes for an
lrsched mirror is a parameter of that function."""

from __future__ import annotations

import importlib
import inspect
import pathlib
import re

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
MIGRATION = sorted((DOCS / "migration").glob("*.md"))


_CALL = re.compile(r"`(\w+)\(([^`]*)\)`")


def _names(args: str):
    names = [a.split("=")[0].strip() for a in args.split(",")]
    # one-letter names (W, T, r) are placeholders for a value, not parameter names
    # the optimizer argument of torch's and transformers' calls is dropped by the mirrors
    return [a for a in names if a.isidentifier() and len(a) > 1 and a not in ("opt", "optimizer")]


def _calls(md: pathlib.Path):
    """(function name, argument names) for each `f(a, b=...)` in a table's second (lrsched)
    column; `f(...)` there stands for the peer's own arguments, the first column's call."""
    for line in md.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2:
            continue
        peer = _CALL.search(cells[0])
        for m in _CALL.finditer(cells[1]):
            if m.group(2).strip() == "...":
                yield m.group(1), _names(peer.group(2)) if peer else []
            else:
                yield m.group(1), _names(m.group(2))


@pytest.mark.parametrize("md", MIGRATION, ids=lambda p: p.name)
def test_migration_tables_use_real_parameter_names(md):
    mod = importlib.import_module(f"lrsched.compat.{md.stem}")
    checked = 0
    for name, args in _calls(md):
        f = getattr(mod, name, None)
        if not callable(f):
            continue
        params = inspect.signature(f).parameters
        for a in args:
            assert a in params, f"{md.name}: {name}(... {a} ...) but its parameters are {list(params)}"
            checked += 1
    assert checked > 0 or md.stem in ("sklearn",), f"{md.name}: no call checked"
