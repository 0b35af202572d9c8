"""Optional frameworks: importing lrsched's adapter for one that is not installed says how to get it."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module, missing, extra",
    [("lrsched.torch", "torch", "lrsched[torch]"), ("lrsched.keras", "keras", "lrsched[keras]")],
)
def test_adapter_without_its_framework_names_the_extra(module, missing, extra):
    # sys.modules[name] = None makes `import name` raise ImportError, as on a machine without it
    code = (
        f"import sys; sys.modules[{missing!r}] = None\n"
        "try:\n"
        f"    import {module}\n"
        "except ImportError as e:\n"
        "    print(type(e).__name__, e)\n"
        "else:\n"
        "    print('imported')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError"), r.stdout
    assert f"pip install '{extra}'" in r.stdout
