"""The ``lrsched`` command: show, plot, bench, demo; SPECs as files, inline JSON, recipe names and
peer names; bad input is one line on stderr and exit status 2, never a traceback.

Expected values come from formulas written here, never from lrsched's own output.
"""

import json
import math
import os
import re
import subprocess
import sys

import pytest

from lrsched.cli import main
from lrsched.cli.show import SPARKS, sparkline
from lrsched.cli.spec import parse_set

PNG = b"\x89PNG\r\n\x1a\n"
WC = ["--set", "peak=1", "--set", "total_steps=100", "--set", "warmup_steps=10"]


def table(out):
    """The key-point rows of ``show``: {step: (value, notes)}."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^\s+(\d+)\s+(\S+)\s+(.*)$", line)
        if m:
            rows[int(m.group(1))] = (float(m.group(2)), m.group(3).strip())
    return rows


def spark(out):
    return out.rstrip("\n").splitlines()[-1]


def test_show_warmup_cosine(capsys):
    assert main(["show", "warmup_cosine", *WC, "-n", "100"]) == 0
    out = capsys.readouterr().out
    rows = table(out)
    assert sorted(rows) == [0, 10, 99]
    assert rows[0] == (0.0, "start, min")
    assert rows[10] == (1.0, "phase, max")
    end = 0.5 * (1 + math.cos(math.pi * 89 / 90))  # the cosine 89 of 90 steps in
    assert rows[99][0] == pytest.approx(end, rel=1e-5)
    assert rows[99][1] == "end"
    line = spark(out)
    assert len(line) == 64 and set(line) <= set(SPARKS)
    assert line[0] == SPARKS[0] and SPARKS[-1] in line and line[-1] == SPARKS[0]


def test_show_start_and_fractional_boundary(capsys):
    # torch OneCycleLR: peak at step 0.3 * 101 - 1 = 29.3, in force from update 30
    assert main(["show", "one_cycle", "--set", "peak=2", "--set", "total_steps=101", "-n", "60", "--start", "20"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[20][1] == "start"
    assert rows[30][1].startswith("phase (at 29.3)")
    assert rows[79][1] == "min, end"  # past the peak, the anneal only goes down


def test_show_lists_at_most_20_boundaries(capsys):
    assert main(["show", "sgdr", "--set", "peak=1", "--set", "period=3", "-n", "200", "--width", "10"]) == 0
    out = capsys.readouterr().out
    assert "more than 20 phase boundaries" in out
    assert len(spark(out)) == 10
    rows = table(out)
    assert rows[2] == (pytest.approx(0.25), "min")  # 0.5 * (1 + cos(2 pi / 3))


def test_show_subprocess():
    r = subprocess.run(
        [sys.executable, "-m", "lrsched", "show", "warmup_cosine", *WC, "-n", "100"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    rows = table(r.stdout)
    assert rows[0] == (0.0, "start, min") and rows[10] == (1.0, "phase, max")


def test_sparkline_levels():
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8) == SPARKS
    assert sparkline([5.0] * 10, 4) == SPARKS[3] * 4
    assert sparkline([0, 0, 7, 7], 2) == SPARKS[0] + SPARKS[-1]  # each column is its share's mean
    assert sparkline([1.0, float("nan"), 3.0], 3) == SPARKS[0] + " " + SPARKS[-1]


@pytest.mark.parametrize(
    "items, want",
    [
        (["a=1"], {"a": 1}),
        (["a=1e-3", "b=0.5"], {"a": 0.001, "b": 0.5}),
        (["flag=true", "other=False", "x=None"], {"flag": True, "other": False, "x": None}),
        (["shape=cosine", 'q="linear"'], {"shape": "cosine", "q": "linear"}),
        (['scales={"10": 0.5}'], {"scales": {"10": 0.5}}),
        (["m=[30, 60]"], {"m": [30, 60]}),
    ],
)
def test_parse_set(items, want):
    assert parse_set(items) == want


def test_inline_json_and_file(tmp_path, capsys):
    doc = {"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10, "shape": "linear"}
    assert main(["show", json.dumps(doc), "-n", "12"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[0][0] == 1.0 and rows[10] == (0.0, "phase, min") and rows[11] == (0.0, "end")
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))
    assert main(["show", str(path), "-n", "6", "--start", "2"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[2][0] == pytest.approx(0.8) and rows[7][0] == pytest.approx(0.3)


def test_peer_recipe_name(capsys):
    pytest.importorskip("lrsched.compat.torch")
    # torch StepLR: lr * gamma ** (k // step_size)
    assert main(["show", "torch.step_lr", "--set", "step_size=10", "--set", "gamma=0.5", "-n", "30"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[0] == (1.0, "start, max")
    assert rows[10] == (0.5, "phase")  # each decay begins a phase
    assert rows[20] == (0.25, "phase, min")  # the first step at the lowest value
    assert rows[29] == (0.25, "end")


def png_ok(path):
    data = path.read_bytes()
    return len(data) > 1000 and data[:8] == PNG


def test_plot_writes_png(tmp_path, capsys):
    out = tmp_path / "wsd.png"
    argv = [
        "plot",
        "wsd",
        "--set",
        "peak=1e-3",
        "--set",
        "total_steps=200",
        "--set",
        "warmup_steps=20",
        "--set",
        "decay_steps=0.2",
        "-n",
        "220",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    assert png_ok(out)
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    log = tmp_path / "log.png"
    assert main([*argv[:-1], str(log), "--log-y"]) == 0
    assert png_ok(log)


def test_bench_help_passes_through(capsys):
    pytest.importorskip("benchmarks")
    assert main(["bench", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: lrsched bench")
    assert main(["bench", "--no-such-option"]) == 2


def test_top_level_help(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("plot", "show", "bench", "demo"):
        assert cmd in out


@pytest.mark.parametrize(
    "argv, match",
    [
        (["show", "nope", "-n", "10"], "unknown recipe"),
        (["show", "warmup_cosine", "-n", "10"], "missing a required argument: 'peak'"),
        (["show", "warmup_cosine", *WC[:4], "--set", "warmup_steps=-3", "-n", "10"], "warmup_steps=-3: must be >= 0"),
        (
            ["show", "warmup_cosine", *WC, "--set", "bogus=1", "-n", "10"],
            "--set bogus: not an argument of warmup_cosine",
        ),
        (["show", "warmup_cosine", "--set", "peak", "-n", "10"], "expected key=value"),
        (["show", "warmup_cosine", "--set", "peak=1", "--set", "peak=2", "-n", "10"], "given twice"),
        (
            ["show", "one_cycle", "--set", "peak=1", "--set", "total_steps=10", "--set", "anneal=cubic", "-n", "5"],
            "anneal=",
        ),
        (["show", "{bad json", "-n", "10"], "not valid JSON"),
        (["show", '{"type": "nope"}', "-n", "10"], "unknown schedule type"),
        (["show", "[1, 2]", "-n", "10"], "not a JSON file, inline JSON or a recipe name"),
        (["show", '{"type": "constant", "value": 1.0}', "--set", "a=1", "-n", "10"], "--set applies to a recipe name"),
        (["show", "missing.json", "-n", "10"], "cannot read"),
        (["show", "foo.bar", "-n", "10"], "unknown peer"),
        (["show", "wsd", "-n", "0"], "must be >= 1"),
        (["show", "wsd", "-n", "ten"], "expected an integer"),
        (["show", "wsd", "-n", "1000000000"], "at most 100,000,000 steps"),
        (["show", "wsd", "-n", "5", "--start", "-1"], "must be >= 0"),
        (["show", "wsd"], "required: -n/--num-steps"),
        (["plot", "wsd", "-n", "10", "-o"], "expected one argument"),
        (["frobnicate"], "invalid choice"),
        ([], "required: "),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, match, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert match in err
    assert "Traceback" not in err


def test_peer_errors(capsys):
    pytest.importorskip("lrsched.compat.torch")
    assert main(["show", "torch.no_such_scheduler", "-n", "5"]) == 2
    assert "not in lrsched.compat.torch" in capsys.readouterr().err
    # a Plateau is not a schedule
    assert main(["show", "torch.reduce_lr_on_plateau", "-n", "5"]) == 2
    err = capsys.readouterr().err
    assert "gives a Plateau, not a schedule" in err or "not in lrsched.compat.torch" in err


def test_unwritable_output(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "dir.png"
    assert main(["plot", "constant", "--set", "value=1", "-n", "5", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot write" in err


def test_bad_input_subprocess_has_no_traceback():
    r = subprocess.run(
        [sys.executable, "-m", "lrsched", "show", "warmup_cosine", "--set", "peak=1", "-n", "5"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "missing a required argument: 'total_steps'" in r.stderr


def test_demo(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    out = tmp_path / "gallery.png"
    cwd = os.getcwd()
    assert main(["demo", "-o", str(out)]) == 0
    assert os.getcwd() == cwd
    assert png_ok(out)
    text = capsys.readouterr().out
    for section in ("1. Compose", "2. One schedule", "3. Gallery", "4. The same schedule", "5. Speed"):
        assert section in text
    # both frameworks learn digits from the same schedule, to the same loss
    m = re.search(r"test accuracy: optax ([\d.]+)%, torch ([\d.]+)%", text)
    assert m and float(m.group(1)) > 90 and float(m.group(2)) > 90
    last = [line for line in text.splitlines() if re.match(r"^\s+299\s", line)]
    (row,) = last
    _, _lr, ox, th = row.split()
    assert float(ox) == pytest.approx(float(th), rel=1e-3)
    assert "max |lr - schedule(k)| over all updates: 0.0e+00" in text
    # the peak is the range test's suggestion, and the schedule trained with is built on it
    m = re.search(r"steepest descent at lr ([\d.e+-]+), the peak below", text)
    assert m, text
    peak = float(m.group(1))
    assert 1e-5 < peak < 10.0
    assert f"schedule: warmup(cosine({peak!r}, " in text
    for who in ("lrsched schedule(k)", "optax schedule, eager", "optax schedule, jit", "optax, jit over jnp.arange"):
        assert who in text


# -- first-hour conveniences: --version, did-you-mean, --set hints, default plot name, YAML ---------
def test_version(capsys):
    from importlib.metadata import version

    import lrsched

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lrsched {lrsched.__version__}" == f"lrsched {version('lrsched')}"


@pytest.mark.parametrize(
    "spec, suggestion",
    [
        ("warmup_cosin", "warmup_cosine"),
        ("one_cylce", "one_cycle"),
        ("torch.cosine_anealing_lr", "cosine_annealing_lr"),
    ],
)
def test_misspelt_recipe_gets_did_you_mean(capsys, spec, suggestion):
    assert main(["show", spec, "-n", "10"]) == 2
    err = capsys.readouterr().err
    assert f"did you mean {suggestion!r}?" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("typo, meant", [("peek", "peak"), ("total_step", "total_steps"), ("warmup", "warmup_steps")])
def test_misspelt_set_key_is_unknown_not_missing(capsys, typo, meant):
    sets = {"peak": "1", "total_steps": "100", "warmup_steps": "10"}
    sets[typo] = sets.pop(meant)
    argv = ["show", "warmup_cosine", "-n", "10"] + [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--set {typo}: not an argument of warmup_cosine; did you mean {meant!r}?" in err
    assert "missing" not in err


@pytest.mark.parametrize(
    "argv, hint",
    [
        (["show", "warmup_cosine", "--peak", "1e-3", "-n", "10"], "--set peak=1e-3"),
        (["show", "sgdr", "--period-mult=2", "-n", "10"], "--set period_mult=2"),
        (["plot", "wsd", "-n", "10", "--total_steps", "100"], "--set total_steps=100"),
    ],
)
def test_option_instead_of_set_gets_a_hint(capsys, argv, hint):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "recipe arguments are given with --set" in err and hint in err


def test_plot_without_output_writes_a_named_png_here(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert main(["plot", "warmup_cosine", *WC, "-n", "100"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "warmup_cosine.png"
    assert path.read_bytes()[:8] == PNG
    assert out.strip() == f"wrote {path}"
    doc = json.dumps({"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10})
    assert main(["plot", doc, "-n", "20"]) == 0
    assert (tmp_path / "ramp.png").read_bytes()[:8] == PNG


def test_yaml_file_and_its_number_trap(capsys, tmp_path):
    pytest.importorskip("yaml")
    good = tmp_path / "s.yaml"
    good.write_text("type: ramp\nstart: 1.0\nend: 0.0\nsteps: 10\nshape: linear\n")
    assert main(["show", str(good), "-n", "11"]) == 0
    rows = table(capsys.readouterr().out)
    assert rows[0][0] == 1.0 and rows[10][0] == 0.0
    trap = tmp_path / "t.yml"
    trap.write_text("type: ramp\nstart: 3e-5\nend: 0.0\nsteps: 10\nshape: linear\n")
    assert main(["show", str(trap), "-n", "10"]) == 2
    err = capsys.readouterr().err
    assert "YAML reads '3e-5' as text" in err and "3.0e-5" in err
    bad = tmp_path / "b.yaml"
    bad.write_text("type: [ramp\n")
    assert main(["show", str(bad), "-n", "10"]) == 2
    assert "not valid YAML" in capsys.readouterr().err
