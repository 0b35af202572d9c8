"""The benchmark suite in ``benchmarks/`` (outside the package): its command line, every group in a
tiny configuration, the report files, ``lrsched bench`` forwarding to it, and the package never
importing it. Nothing here asserts a timing."""

import ast
import inspect
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks
import lrsched
from benchmarks import report
from benchmarks._common import ROW_KEYS, numpy_formula, row
from lrsched import _timing
from lrsched.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lrsched"

TINY = {
    "dense": {"n": 1000, "torch_probe": 50},
    "shapes": {"n": 1000, "repeat": 1},
    "pieces": {"n": 1000, "counts": (1, 10)},
    "latency": {"number": 5},
    "adapter": {"steps": 10, "repeat": 1},
    "compile": {"depths": (1, 2), "pieces": (2,)},
    "sweep": {"batch": 4, "n": 200, "loop_probe": 2},
    "accuracy": {"n": 1000},
    "train_step": {"counts": (1, 3), "total": 30, "sizes": (4, 8, 3), "batch": 8},
    "traced": {"pieces": (1, 3), "length": 10},
}
# rows per run of the tiny configuration
ROWS = {
    "dense": 14,
    "shapes": 14,
    "pieces": 4,
    "latency": 6,
    "adapter": 4,
    "compile": 6,
    "sweep": 5,
    "accuracy": 2,
    "train_step": 4,
    "traced": 15,
}


def test_every_group_has_a_tiny_configuration():
    assert set(TINY) == set(benchmarks.GROUPS) == set(ROWS)


def test_python_m_benchmarks_help():
    r = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: python -m benchmarks")
    for opt in ("--quick", "--full", "--only", *benchmarks.GROUPS):
        assert opt in r.stdout


def test_unknown_group_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as e:
        benchmarks.main(["--only", "densse"])
    assert e.value.code == 2
    assert "invalid choice: 'densse'" in capsys.readouterr().err


@pytest.mark.parametrize("name", benchmarks.GROUPS)
@pytest.mark.parametrize("quick, full", [(True, False), (False, False), (False, True)])
def test_plans_fit_the_run_signature(name, quick, full):
    mod = benchmarks.group(name)
    plans = mod.plan(quick, full)
    assert plans and all(isinstance(p, dict) for p in plans)
    for p in plans:
        inspect.signature(mod.run).bind(**p)
    inspect.signature(mod.run).bind(**TINY[name])


_RUNS: dict = {}


def tiny_rows(name):
    """The rows of one group's tiny run, measured once per test session."""
    if name not in _RUNS:
        _RUNS[name] = benchmarks.group(name).run(**TINY[name])
    return _RUNS[name]


@pytest.mark.parametrize("name", benchmarks.GROUPS)
def test_group_runs_tiny(name):
    if name == "adapter":
        pytest.importorskip("torch")
    rows = tiny_rows(name)
    assert len(rows) == ROWS[name]
    assert len({(r["n"], r["name"]) for r in rows}) == len(rows)
    for r in rows:
        assert set(ROW_KEYS) <= set(r)
        assert r["group"] == benchmarks.group(name).GROUP
        assert isinstance(r["n"], int) and isinstance(r["name"], str)
        assert r["seconds"] is None or (math.isfinite(r["seconds"]) and r["seconds"] > 0)
        assert r["peer"] is None or isinstance(r["peer"], str)
        for key in ("ratio", "compile_seconds", "error", "over_floor", "over_one", "one_seconds"):
            assert r.get(key) is None or (math.isfinite(r[key]) and r[key] >= 0)
    json.dumps(rows)


@pytest.mark.parametrize("name", ["dense", "shapes", "pieces", "latency", "sweep", "train_step", "traced"])
def test_peer_ratios_are_peer_over_lrsched(name):
    rows = tiny_rows(name)
    peers = [r for r in rows if r["peer"] not in (None, "floor")]
    assert peers
    for r in peers:
        ours = [x for x in rows if x["peer"] is None and x["n"] == r["n"]]
        if name == "traced":  # one lrsched row per kind: "optax <kind>" is measured against "lrsched <kind>"
            ours = [x for x in ours if x["name"] == "lrsched " + r["name"].split(" ", 1)[1]]
        elif name == "latency":  # the warmup+cosine rows and the 100-piece join rows
            ours = [x for x in ours if x["name"].split(", ")[0][8:] == r["name"].split(", ")[0][6:]]
        elif name == "dense":
            ours = [x for x in ours if x["name"] == "lrsched.evaluate (jax)"]
        elif name == "shapes":  # "optax, jit over jnp.arange, <schedule>" against "lrsched.evaluate, <schedule>"
            ours = [x for x in ours if x["name"] == "lrsched.evaluate, " + r["name"].split(", ", 2)[2]]
        elif name == "sweep":  # the peers against stack + evaluate, not against the vmap of members
            ours = [x for x in ours if x["name"] == "lrsched.stack + evaluate"]
        (ls,) = ours
        if r["seconds"] is None:  # torch not installed
            assert r["ratio"] is None
        else:
            assert r["ratio"] == pytest.approx(r["seconds"] / ls["seconds"], rel=1e-12)


def test_dense_floors_are_reported_as_evaluate_over_floor():
    rows = {r["name"]: r for r in tiny_rows("dense")}
    xla, fill = rows["write floor: fresh XLA array (jit jnp.full)"], rows["write floor: NumPy fill (np.full)"]
    assert xla["peer"] == fill["peer"] == "floor"
    assert xla["ratio"] is None and fill["ratio"] is None
    beside = rows["lrsched.evaluate (jax), warmup_cosine"]  # timed round-robin with the floor
    assert xla["over_floor"] == pytest.approx(beside["seconds"] / xla["seconds"], rel=1e-12)
    recipes = ("wsd", "one_cycle", "sgdr", "sgdr period_mult=2", "sgdr decay=0.8 after a warmup")
    for k in (*recipes, "per_epoch cosine, 100 epochs"):
        r = rows[f"lrsched.evaluate (jax), {k}"]
        assert r["over_floor"] == pytest.approx(r["seconds"] / xla["seconds"], rel=1e-12)
    assert fill["over_floor"] == pytest.approx(rows["lrsched.evaluate (numpy)"]["seconds"] / fill["seconds"], rel=1e-12)


def test_traced_rows_give_their_time_over_one_piece():
    rows = tiny_rows("traced")
    beside = [r for r in rows if r.get("over_one") is not None]
    assert len(beside) == 3 and all(r["n"] > 1 and r["name"].endswith(", beside one piece") for r in beside)
    for r in beside:
        assert r["over_one"] == pytest.approx(r["seconds"] / r["one_seconds"], rel=1e-12)


def test_accuracy_errors_against_the_float64_formula():
    n = TINY["accuracy"]["n"]
    ls, ox = tiny_rows("accuracy")
    assert ls["n"] == ox["n"] == n
    assert 0 <= ls["error"] < 1e-5  # float32 carries about 6e-8 relative
    assert ox["ratio"] == pytest.approx(ox["error"] / ls["error"]) if ls["error"] else ox["ratio"] is None


def test_numpy_formula_is_the_warmup_cosine():
    n = 1000  # warmup 10 steps to peak 1, then a cosine to 1e-3 over the remaining 990
    y = numpy_formula(n)
    assert y[0] == 0.0 and y[5] == pytest.approx(0.5) and y[10] == pytest.approx(1.0)
    assert y[505] == pytest.approx(1e-3 + (1 - 1e-3) * 0.5 * (1 + math.cos(math.pi * 495 / 990)))


def test_report_files(tmp_path):
    rows = [
        row("dense warmup+cosine", 10**6, "lrsched.evaluate (jax)", 0.002),
        row("dense warmup+cosine", 10**6, "optax, jit over jnp.arange", 0.003, "optax", 1.5),
        row("dense warmup+cosine", 10**6, "write floor: NumPy fill (np.full)", 0.001, "floor", over_floor=2.0),
        row("join pieces", 10, "lrsched.evaluate", 1e-3, compile_seconds=0.25),
        row("traced scan", 1000, "lrsched join of cosines", 2e-5, over_one=1.5),
        row("float32 accuracy", 10**7, "optax max rel. error", None, "optax", 4000.0, error=1.4e-3),
    ]
    result = {"machine": "test-machine", "description": "a test", "results": rows}
    md = report.write(result, str(tmp_path), "m")
    assert (tmp_path / "m.md").read_text() == md
    assert json.loads((tmp_path / "m.json").read_text()) == result
    lines = [line for line in md.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert lines == [
        "| dense warmup+cosine | 1e+06 | lrsched.evaluate (jax) | 2 ms | - |",
        "| dense warmup+cosine | 1e+06 | optax, jit over jnp.arange | 3 ms | 1.50x |",
        "| dense warmup+cosine | 1e+06 | write floor: NumPy fill (np.full) | 1 ms | evaluate / floor 2.00x |",
        "| join pieces | 10 | lrsched.evaluate | 1 ms (compile 250 ms) | - |",
        "| traced scan | 1e+03 | lrsched join of cosines | 20 µs | 1000 pieces / one piece 1.50x |",
        "| float32 accuracy | 1e+07 | optax max rel. error | 1.40e-03 rel. err. | 4000.00x |",
    ]


# --------------------------------------------------------------------------------------------
# lrsched bench, and the package without the suite
# --------------------------------------------------------------------------------------------
def test_lrsched_bench_forwards_help(capsys):
    assert main(["bench", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: lrsched bench")
    assert all(g in out for g in benchmarks.GROUPS)
    assert main(["bench", "--only", "nope"]) == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_lrsched_bench_subprocess_from_elsewhere(tmp_path):
    # run from another folder: the suite is found beside the package, not on the working directory
    r = subprocess.run(
        [sys.executable, "-m", "lrsched", "bench", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("usage: lrsched bench")


@pytest.mark.parametrize("argv", [["bench"], ["bench", "--help"], ["bench", "--quick"]])
def test_lrsched_bench_outside_a_checkout(argv, tmp_path, monkeypatch, capsys):
    installed = tmp_path / "site-packages" / "lrsched"
    installed.mkdir(parents=True)
    monkeypatch.setattr(lrsched, "__file__", str(installed / "__init__.py"))
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("lrsched: error: bench: the benchmark suite is in the source repository")


def _imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or "")


def test_package_never_imports_the_suite():
    files = sorted(PACKAGE.rglob("*.py"))
    assert PACKAGE / "cli" / "__init__.py" in files
    for f in files:
        for name in _imports(f):
            top = name.lstrip(".").split(".")[0]
            assert top != "benchmarks" and "_bench" not in name, f"{f.relative_to(ROOT)} imports {name}"
    assert not (PACKAGE / "_bench.py").exists()


def test_importing_the_package_loads_no_benchmarks():
    code = (
        "import sys, lrsched, lrsched.cli, lrsched.cli.demo, lrsched.cli.show, lrsched.cli.spec, lrsched._timing\n"
        "import lrsched.__main__, lrsched.cli\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'benchmarks' or m == 'lrsched._bench']\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


def test_no_package_module_over_600_lines():
    long = {str(f.relative_to(ROOT)): n for f in PACKAGE.rglob("*.py") if (n := len(f.read_text().splitlines())) > 600}
    assert not long


# --------------------------------------------------------------------------------------------
# the timing helper
# --------------------------------------------------------------------------------------------
def test_compare_samples_each_function_warmup_plus_repeat_times():
    calls = {"a": 0, "b": 0}

    def count(k):
        def f():
            calls[k] += 1

        return f

    t = _timing.compare({"a": count("a"), "b": count("b")}, repeat=3, warmup=2, number=4)
    assert set(t) == {"a", "b"} and all(v >= 0 for v in t.values())
    assert calls == {"a": 2 + 3 * 4, "b": 2 + 3 * 4}


def test_timing_waits_for_jax_results():
    class Lazy:
        waited = 0

        def block_until_ready(self):
            Lazy.waited += 1

    _timing.timeit(Lazy, repeat=2, warmup=1, number=3)
    assert Lazy.waited == 1 + 2  # the warm-up call and the last call of each sample
    assert _timing.once(Lazy) >= 0 and Lazy.waited == 4


@pytest.mark.parametrize("kwargs", [{"repeat": 0}, {"number": 0}, {"warmup": -1}])
def test_compare_refuses_empty_sampling(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs)) + "="):
        _timing.timeit(lambda: None, **kwargs)


@pytest.mark.parametrize(
    "t, text", [(None, "-"), (3.0, "3 s"), (0.0123, "12.3 ms"), (4.56e-5, "45.6 µs"), (7.8e-8, "78 ns"), (0.0, "0 ns")]
)
def test_fmt_time(t, text):
    assert _timing.fmt_time(t) == text


def test_wheel_packages_hold_the_cli_and_not_the_suite():
    import importlib

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    from setuptools import find_packages

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found = find_packages(where=str(ROOT), **conf["tool"]["setuptools"]["packages"]["find"])
    assert "lrsched.cli" in found and "lrsched" in found
    assert not [p for p in found if p.split(".")[0] == "benchmarks"]
    module, _, attr = conf["project"]["scripts"]["lrsched"].partition(":")
    assert getattr(importlib.import_module(module), attr) is main
