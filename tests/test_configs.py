"""Documents by public names: every public builder of lrsched and of each ``lrsched.compat``
module loads from ``{"type": NAME, ...its own arguments}``, in this process and in a fresh one."""

from __future__ import annotations

import importlib
import json
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import lrsched as L
from lrsched import from_dict, to_dict

PEERS = ("torch", "optax", "transformers", "keras", "timm", "fairseq", "sklearn")
STEPS = [0, 1, 2, 7, 10, 33, 50, 99, 100, 250, 1000, 5000]
HALF = "test_configs.half"


def _half(k):
    return 0.5 + 0.0 * k


L.register(HALF)(_half)

C1 = {"type": "constant", "value": 1.0}
COS = {"type": "cosine", "start": 1.0, "end": 0.1, "steps": 100}
LIN = {"type": "linear", "start": 0.2, "end": 1.0, "steps": 10}

# (type, the builder's own keyword arguments as JSON data; a nested dict with "type" is a schedule)
LRSCHED_DOCS = [
    ("constant", {"value": 0.3}),
    ("ramp", {"start": 1.0, "end": 0.0, "steps": 50, "shape": "polynomial", "power": 2.0}),
    ("linear", {"start": 1.0, "end": 0.0, "steps": 50}),
    ("cosine", {"start": 1.0, "end": 0.1, "steps": 80, "exponent": 2.0}),
    ("exponential", {"start": 1.0, "rate": 0.5, "steps": 10, "staircase": True, "end": 0.01}),
    ("inverse_time", {"start": 1.0, "rate": 0.1, "steps": 5, "power": 0.5}),
    ("inverse_sqrt", {"start": 1.0, "timescale": 100}),
    ("piecewise_constant", {"start": 1.0, "scales": {"30": 0.5, "60": 0.1}}),
    ("piecewise_linear", {"points": {"0": 0.0, "10": 1.0, "100": 0.1}}),
    ("piecewise_linear", {"points": [[0, 0.0], [10, 1.0], [100, 0.1]], "shape": "cosine"}),
    ("warmup", {"schedule": COS, "steps": 10, "start": 0.01}),
    ("join", {"schedules": [LIN, COS, C1], "boundaries": [10, 110]}),
    ("chain", {"schedules": [COS, {"type": "exponential", "start": 1.0, "rate": 0.99}]}),
    ("clip", {"schedule": COS, "min": 0.2, "max": 0.9}),
    ("cycle", {"schedule": COS, "period": 100, "period_mult": 2, "decay": 0.5, "limit": 3}),
    ("shift", {"schedule": COS, "steps": 20}),
    ("per_epoch", {"schedule": COS, "steps_per_epoch": 7}),
    ("minimum", {"a": COS, "b": LIN}),
    ("maximum", {"a": COS, "b": 0.5}),
    ("warmup_cosine", {"peak": 3e-4, "total_steps": 1000, "warmup_steps": 100, "end": 3e-5}),
    ("warmup_linear", {"peak": 1.0, "total_steps": 1000, "warmup_steps": 50, "start": 0.1}),
    ("wsd", {"peak": 1e-3, "total_steps": 1000, "warmup_steps": 50, "decay_steps": 0.2, "decay_shape": "linear"}),
    ("one_cycle", {"peak": 0.1, "total_steps": 1000, "pct_start": 0.25, "three_phase": True}),
    ("sgdr", {"peak": 1.0, "period": 100, "period_mult": 2, "end": 0.01, "warmup_steps": 10}),
    ("cyclic", {"low": 0.1, "high": 1.0, "step_size_up": 20, "mode": "exp_range", "gamma": 0.99}),
    ("noam", {"peak": 1.0, "warmup_steps": 400}),
    ("tri_stage", {"peak": 1.0, "warmup_steps": 100, "hold_steps": 200, "decay_steps": 300}),
]

STEP_LR = {"type": "torch.step_lr", "step_size": 30, "gamma": 0.5}
PEER_DOCS = [
    ("torch.lambda_lr", {"lr_lambda": {"type": "fn", "f": HALF}, "lr": 0.1}),
    ("torch.multiplicative_lr", {"lr_lambda": {"type": "fn", "f": HALF}, "lr": 0.1}),
    ("torch.step_lr", {"step_size": 30, "gamma": 0.5, "lr": 0.1}),
    ("torch.multi_step_lr", {"milestones": [30, 80, 80], "gamma": 0.1, "lr": 0.1}),
    ("torch.constant_lr", {"factor": 0.5, "total_iters": 4, "lr": 0.1}),
    ("torch.linear_lr", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}),
    ("torch.exponential_lr", {"gamma": 0.95, "lr": 0.1}),
    ("torch.polynomial_lr", {"total_iters": 100, "power": 2.0, "lr": 0.1}),
    ("torch.cosine_annealing_lr", {"T_max": 100, "eta_min": 0.001, "lr": 0.1}),
    ("torch.cosine_annealing_warm_restarts", {"T_0": 50, "T_mult": 2, "eta_min": 0.0, "lr": 0.1}),
    ("torch.cyclic_lr", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20, "mode": "triangular2"}),
    ("torch.cyclic_momentum", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 20}),
    ("torch.one_cycle_lr", {"max_lr": 0.1, "total_steps": 1000, "anneal_strategy": "linear"}),
    ("torch.one_cycle_momentum", {"max_lr": 0.1, "epochs": 10, "steps_per_epoch": 100}),
    (
        "torch.sequential_lr",
        {"schedulers": [{"type": "torch.linear_lr", "total_iters": 10}, STEP_LR], "milestones": [10]},
    ),
    ("torch.chained_scheduler", {"schedulers": [STEP_LR, {"type": "torch.exponential_lr", "gamma": 0.9}], "lr": 0.1}),
    ("torch.swa_lr", {"swa_lr": 0.05, "anneal_epochs": 5, "anneal_strategy": "linear", "lr": 0.1}),
    ("optax.constant_schedule", {"value": 0.1}),
    ("optax.cosine_decay_schedule", {"init_value": 0.1, "decay_steps": 100, "alpha": 0.1}),
    ("optax.cosine_onecycle_schedule", {"transition_steps": 1000, "peak_value": 0.1}),
    ("optax.exponential_decay", {"init_value": 0.1, "transition_steps": 10, "decay_rate": 0.9, "transition_begin": 5}),
    (
        "optax.join_schedules",
        {"schedules": [{"type": "optax.constant_schedule", "value": 0.1}, COS], "boundaries": [20]},
    ),
    ("optax.linear_onecycle_schedule", {"transition_steps": 1000, "peak_value": 0.1}),
    ("optax.linear_schedule", {"init_value": 0.0, "end_value": 0.1, "transition_steps": 50}),
    ("optax.piecewise_constant_schedule", {"init_value": 0.1, "boundaries_and_scales": {"100": 0.5, "200": 0.1}}),
    (
        "optax.piecewise_interpolate_schedule",
        {"interpolate_type": "cosine", "init_value": 0.1, "boundaries_and_scales": {"50": 2.0, "100": 0.1}},
    ),
    ("optax.polynomial_schedule", {"init_value": 0.1, "end_value": 0.0, "power": 2, "transition_steps": 100}),
    (
        "optax.sgdr_schedule",
        {"cosine_kwargs": [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 100}] * 2},
    ),
    ("optax.warmup_constant_schedule", {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10}),
    (
        "optax.warmup_cosine_decay_schedule",
        {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "decay_steps": 100},
    ),
    (
        "optax.warmup_exponential_decay_schedule",
        {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 10, "transition_steps": 20, "decay_rate": 0.5},
    ),
    ("transformers.get_constant_schedule", {"lr": 0.1}),
    ("transformers.get_constant_schedule_with_warmup", {"num_warmup_steps": 10, "lr": 0.1}),
    ("transformers.get_cosine_schedule_with_warmup", {"num_warmup_steps": 10, "num_training_steps": 100}),
    (
        "transformers.get_cosine_with_hard_restarts_schedule_with_warmup",
        {"num_warmup_steps": 10, "num_training_steps": 100, "num_cycles": 3},
    ),
    (
        "transformers.get_cosine_with_min_lr_schedule_with_warmup",
        {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr_rate": 0.1},
    ),
    (
        "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        {"num_warmup_steps": 10, "num_training_steps": 100, "min_lr_rate": 0.1, "warmup_lr_rate": 0.01},
    ),
    ("transformers.get_inverse_sqrt_schedule", {"num_warmup_steps": 10, "timescale": 20}),
    ("transformers.get_linear_schedule_with_warmup", {"num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1}),
    (
        "transformers.get_polynomial_decay_schedule_with_warmup",
        {"num_warmup_steps": 10, "num_training_steps": 100, "lr_end": 1e-3, "power": 2.0, "lr": 0.1},
    ),
    ("transformers.get_scheduler", {"name": "cosine", "num_warmup_steps": 10, "num_training_steps": 100, "lr": 0.1}),
    (
        "transformers.get_scheduler",
        {
            "name": "cosine_with_min_lr",
            "num_warmup_steps": 10,
            "num_training_steps": 100,
            "scheduler_specific_kwargs": {"min_lr": 0.01},
            "lr": 0.1,
        },
    ),
    ("transformers.get_wsd_schedule", {"num_warmup_steps": 10, "num_decay_steps": 20, "num_training_steps": 100}),
    (
        "keras.cosine_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.1, "warmup_target": 0.2, "warmup_steps": 10},
    ),
    (
        "keras.cosine_decay_restarts",
        {"initial_learning_rate": 0.1, "first_decay_steps": 50, "t_mul": 2.0, "m_mul": 0.5},
    ),
    (
        "keras.exponential_decay",
        {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": True},
    ),
    ("keras.inverse_time_decay", {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}),
    ("keras.piecewise_constant_decay", {"boundaries": [100, 200], "values": [0.1, 0.01, 0.001]}),
    ("keras.polynomial_decay", {"initial_learning_rate": 0.1, "decay_steps": 100, "power": 2.0, "cycle": True}),
    ("timm.cosine_lr", {"t_initial": 100, "lr_min": 0.001, "warmup_t": 5, "warmup_lr_init": 0.0001, "lr": 0.1}),
    ("timm.tanh_lr", {"t_initial": 100, "warmup_t": 5, "lr": 0.1, "steps_per_epoch": 10}),
    ("timm.poly_lr", {"t_initial": 100, "power": 0.5, "cycle_limit": 2, "lr": 0.1}),
    ("timm.step_lr", {"decay_t": 30, "decay_rate": 0.5, "lr": 0.1}),
    ("timm.multi_step_lr", {"decay_t": [30, 60], "decay_rate": 0.5, "lr": 0.1}),
    ("timm.k_decay", {"schedule": COS, "steps": 100, "k": 2.0}),
    ("timm.decay_count", {"schedule": {"type": "exponential", "start": 1.0, "rate": 0.5}, "decay_t": 30}),
    ("fairseq.inverse_sqrt", {"warmup_updates": 100, "warmup_init_lr": 0.0, "lr": 0.001}),
    ("fairseq.cosine", {"warmup_updates": 10, "lr": 0.001, "min_lr": 1e-5, "max_update": 1000}),
    ("fairseq.polynomial_decay", {"warmup_updates": 10, "total_num_update": 1000, "power": 2.0, "lr": 0.001}),
    ("fairseq.tri_stage", {"phase_ratio": [0.1, 0.4, 0.5], "max_update": 1000, "lr": 0.001}),
    ("fairseq.triangular", {"max_lr": 0.01, "lr_period_updates": 100, "lr": 0.001}),
    ("fairseq.step", {"warmup_updates": 10, "lr": 0.001, "lr_deacy_period": 100, "lr_decay": 0.5}),
    ("fairseq.fixed", {"force_anneal": 5, "lr": 0.001, "updates_per_epoch": 100}),
    ("sklearn.constant", {"eta0": 0.1}),
    ("sklearn.invscaling", {"eta0": 0.1, "power_t": 0.5}),
    ("sklearn.mlp_invscaling", {"learning_rate_init": 0.01, "n_samples": 1000, "batch_size": 100}),
    ("sklearn.optimal", {"alpha": 0.001, "loss": "log_loss"}),
]
NOT_SCHEDULES = [  # public builders whose result is no Schedule (a Plateau, a number)
    "torch.reduce_lr_on_plateau",
    "transformers.get_reduce_on_plateau_schedule",
    "sklearn.adaptive",
    "sklearn.mlp_adaptive",
    "sklearn.optimal_t0",
]
NOT_CANONICAL = {"torch.lambda_lr", "torch.multiplicative_lr"}  # a function of a function: no registered name
# multiplicative_lr wraps a fresh running product (compared by identity) in every call: two calls
# with the same function are not ==, so its document is checked by values alone
BY_VALUES = {"torch.multiplicative_lr"}
ALL_DOCS = LRSCHED_DOCS + PEER_DOCS
IDS = [f"{n}-{i}" for i, (n, _) in enumerate(ALL_DOCS)]
STEP_MAPPINGS = {"scales", "points", "boundaries_and_scales"}


def _doc(name, args):
    return {"type": name, **args}


def _builder(name):
    peer, dot, short = name.partition(".")
    return getattr(importlib.import_module(f"lrsched.compat.{peer}"), short) if dot else getattr(L, name)


def _call(value, param=None):
    """The Python call a document stands for, made directly with the builders (not from_dict)."""
    if isinstance(value, dict) and "type" in value:
        args = {n: _call(v, n) for n, v in value.items() if n != "type"}
        if value["type"] == "fn":
            return L.fn(_half, name=HALF)
        if value["type"] == "chain":
            return L.chain(*args["schedules"])
        return _builder(value["type"])(**args)
    if isinstance(value, dict) and param in STEP_MAPPINGS:
        return {int(k): v for k, v in value.items()}
    if isinstance(value, dict):
        return {k: _call(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_call(v) for v in value]
    return value


def test_every_public_builder_has_a_document_here():
    names = {n for n, _ in ALL_DOCS} | set(NOT_SCHEDULES)
    own = {n for n in L.__all__ if n not in {"Plateau", "PlateauState", "Schedule", "evaluate", "fn", "from_dict"}}
    own -= {"boundaries", "plot", "register", "stack", "to_dict"}  # not schedule builders
    peers = {f"{p}.{n}" for p in PEERS for n in importlib.import_module(f"lrsched.compat.{p}").__all__}
    assert own | peers <= names, sorted((own | peers) - names)


@pytest.mark.parametrize("name,args", ALL_DOCS, ids=IDS)
def test_public_name_document_equals_the_call(name, args):
    doc = json.loads(json.dumps(_doc(name, args)))
    expected = _call(doc)
    got = from_dict(doc)
    assert (got == expected) is (name not in BY_VALUES)
    assert [got(k) for k in STEPS] == [expected(k) for k in STEPS]
    ks = np.asarray(STEPS)
    assert np.array_equal(got(ks), expected(ks))
    if name not in NOT_CANONICAL:
        assert from_dict(to_dict(got)) == got
        assert to_dict(from_dict(to_dict(got))) == to_dict(got)


def _run_fresh(script: str) -> subprocess.CompletedProcess:
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], cwd=root, capture_output=True, text=True, timeout=300
    )


def test_every_document_loads_in_a_fresh_process():
    canonical = [to_dict(from_dict(_doc(n, a))) for n, a in ALL_DOCS if n not in NOT_CANONICAL]
    public = [_doc(n, a) for n, a in ALL_DOCS]
    expect_c = [[from_dict(d)(k) for k in STEPS] for d in canonical]
    expect_p = [[from_dict(d)(k) for k in STEPS] for d in public]
    script = f"""
        import json, sys
        import lrsched
        lrsched.register({HALF!r})(lambda k: 0.5 + 0.0 * k)
        steps = {STEPS!r}
        canonical, public = json.loads({json.dumps(json.dumps([canonical, public]))})
        out = {{"canonical": [], "public": [], "compat": []}}
        for d in canonical:
            out["canonical"].append([lrsched.from_dict(d)(k) for k in steps])
        out["compat"] = sorted(m for m in sys.modules if m.startswith("lrsched.compat"))
        for d in public:
            out["public"].append([lrsched.from_dict(d)(k) for k in steps])
        out["peers"] = sorted(m for m in {PEERS!r} if m in sys.modules)
        print(json.dumps(out))
    """
    r = _run_fresh(script)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["compat"] == []  # canonical documents need no compat module
    assert out["canonical"] == expect_c
    assert out["public"] == expect_p  # a peer's document imports lrsched.compat.<peer>, never the peer
    assert out["peers"] == []


@pytest.mark.parametrize(
    "doc,message",
    [
        ({"type": "warmup_cosin"}, "did you mean 'warmup_cosine'"),
        ({"type": "torch.step_lrr"}, "did you mean 'torch.step_lr'"),
        ({"type": "optax.cosine_decay_schedul"}, "did you mean 'optax.cosine_decay_schedule'"),
        ({"type": "peicewise_linear"}, "did you mean 'piecewise_linear'"),
        ({"type": "warmup_cosine", "peek": 1.0, "total_steps": 10, "warmup_steps": 1}, "did you mean 'peak'"),
        ({"type": "torch.cosine_annealing_lr", "T_maxx": 10}, "did you mean 'T_max'"),
        (
            {"type": "join", "schedules": [{"type": "cosin", "start": 1.0, "end": 0.0, "steps": 5}], "boundaries": []},
            "schedule.schedules[0].type='cosin': unknown schedule type; did you mean 'cosine'",
        ),
    ],
)
def test_did_you_mean(doc, message):
    with pytest.raises(ValueError) as info:
        from_dict(doc)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "doc,where",
    [
        ({"value": 1.0}, "schedule.type=None: missing 'type'"),
        ({"type": "warmup", "schedule": {"value": 1.0}, "steps": 5}, "schedule.schedule.type=None: missing 'type'"),
        ({"type": "join", "schedules": [C1, {"start": 1.0}], "boundaries": [3]}, "schedule.schedules[1].type=None"),
        ({"type": "torch.sequential_lr", "schedulers": [{}], "milestones": []}, "schedule.schedulers[0].type=None"),
        ({"type": "minimum", "a": {"value": 1.0}, "b": C1}, "schedule.a.type=None: missing 'type'"),
    ],
)
def test_missing_type_names_the_path(doc, where):
    with pytest.raises(ValueError, match="missing 'type'") as info:
        from_dict(doc)
    assert where in str(info.value)


@pytest.mark.parametrize("name", NOT_SCHEDULES)
def test_builder_without_a_schedule_is_refused(name):
    with pytest.raises(ValueError, match=rf"type='{re.escape(name)}': builds a \w+, not a schedule"):
        from_dict({"type": name})


@pytest.mark.parametrize(
    "doc,match",
    [
        ({"type": "piecewise_constant", "start": 1.0, "scales": {"1e3": 0.5}}, r"scales\['1e3'\]: a step key"),
        ({"type": "piecewise_constant", "start": 1.0, "scales": {"1.5": 0.5}}, r"scales\['1.5'\]: a step key"),
        ({"type": "piecewise_linear", "points": {"ten": 1.0}}, r"points\['ten'\]: a step key"),
        (
            {"type": "optax.piecewise_constant_schedule", "init_value": 1.0, "boundaries_and_scales": {" 5": 0.5}},
            r"boundaries_and_scales\[' 5'\]: a step key",
        ),
        ({"type": "piecewise_constant", "start": 1.0, "scales": {"-5": 0.5}}, r"scales\[-5\]=-5: must be >= 0"),
        ({"type": "clip", "schedule": C1, "min": {"1": 0.5}}, r"schedule.min.type=None: missing 'type'"),
    ],
)
def test_step_mapping_keys_are_whole_numbers(doc, match):
    with pytest.raises(ValueError, match=match):
        from_dict(doc)


@pytest.mark.parametrize(
    "name,args,expected",
    [
        ("piecewise_constant", {"start": 2.0, "scales": {"10": 0.5, "20": 0.25}}, [(0, 2.0), (10, 1.0), (20, 0.25)]),
        ("piecewise_constant", {"start": 2.0, "scales": {"+10": 0.5}}, [(9, 2.0), (10, 1.0)]),
        ("piecewise_linear", {"points": {"100": 0.0, "0": 1.0}}, [(0, 1.0), (50, 0.5), (100, 0.0), (200, 0.0)]),
        (
            "optax.piecewise_constant_schedule",
            {"init_value": 1.0, "boundaries_and_scales": {"5": 0.1}},
            [(4, 1.0), (5, 0.1)],
        ),
    ],
)
def test_step_mapping_as_json_object(name, args, expected):
    s = from_dict(json.loads(json.dumps({"type": name, **args})))
    for k, v in expected:
        assert s(k) == pytest.approx(v, rel=1e-15, abs=0.0)


def _fenced(lang):
    text = (Path(__file__).resolve().parents[1] / "docs" / "configs.md").read_text()
    blocks = re.findall(rf"^```{lang}\n(.*?)^```", text, flags=re.S | re.M)
    assert blocks, f"no {lang} block in docs/configs.md"
    return blocks


@pytest.mark.parametrize("block", _fenced("json"))
def test_docs_json_examples_load(block):
    s = from_dict(json.loads(block))
    assert from_dict(to_dict(s)) == s
    assert np.isfinite([s(k) for k in STEPS]).all()


def test_docs_json_example_values():
    (block,) = _fenced("json")
    s = from_dict(json.loads(block))
    assert s(0) == 0.0
    assert s(500) == pytest.approx(3e-4, rel=1e-12)
    assert s(9000) == pytest.approx(3e-5, rel=1e-12)  # the restarts start at their own lr
    assert s(9500) == pytest.approx(3e-5 * (1 + math.cos(math.pi * 500 / 1000)) / 2, rel=1e-12)


@pytest.mark.parametrize("block", _fenced("yaml"))
def test_docs_yaml_examples_load(block):
    yaml = pytest.importorskip("yaml")
    s = from_dict(yaml.safe_load(block))
    assert s == L.wsd(1.0e-3, 100000, 2000, 0.1, decay_shape="sqrt")
