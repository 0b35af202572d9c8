"""Every document ``to_dict`` writes loads in a fresh interpreter that imported only ``lrsched``.

One schedule from each public builder of ``lrsched`` and of every ``lrsched.compat`` module is
written with ``to_dict``; a single child process that runs ``import lrsched`` and nothing else
(no ``lrsched.compat`` module, which is where many of these schedules were built) rebuilds each
with ``from_dict`` and evaluates it. Its values must equal the original's exactly, and together
the documents must reach every node type lrsched defines.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import lrsched as L
from lrsched.compat import fairseq, keras, optax, sklearn, timm, torch, transformers

STEPS = [0, 1, 7, 100, 1000]

# The function behind the fn schedules: the child runs the same source, so it registers the same
# function under the same name before it loads the documents (the documented way to load a fn).
REGISTERED = textwrap.dedent(
    """
    import lrsched

    @lrsched.register("test-fresh-load-inverse")
    def inverse(k):
        return 1.0 / (1.0 + k)
    """
)
_namespace: dict = {}
exec(REGISTERED, _namespace)
inverse = _namespace["inverse"]


def _lin(n=10):
    return L.linear(1.0, 0.0, n)


# lrsched's own builders, one schedule (or batch) each, and the arithmetic operators
OWN = {
    "constant": lambda: L.constant(0.3),
    "ramp": lambda: L.ramp(1.0, 0.01, 100, "tanh"),
    "linear": lambda: L.linear(0.0, 2.0, 50),
    "cosine": lambda: L.cosine(1.0, 0.1, 80, exponent=2.0),
    "exponential": lambda: L.exponential(2.0, 0.9, 10, end=0.5),
    "inverse_time": lambda: L.inverse_time(1.0, 0.5, 10, staircase=True),
    "inverse_sqrt": lambda: L.inverse_sqrt(1.0, 100),
    "piecewise_constant": lambda: L.piecewise_constant(1.0, {10: 0.5, 30: 0.1}),
    "piecewise_linear": lambda: L.piecewise_linear({0: 0.0, 10: 1.0, 300: 0.2}, shape="cosine"),
    "warmup": lambda: L.warmup(L.cosine(1.0, 0.0, 100), 10, start=0.1),
    "join": lambda: L.join([L.constant(1.0), _lin(), L.constant(0.05)], [5, 15]),
    "chain": lambda: L.chain(L.constant(0.5), _lin(200), L.exponential(1.0, 0.99)),
    "clip": lambda: L.clip(_lin(200), min=0.2, max=0.7),
    "cycle": lambda: L.cycle(_lin(), 10, period_mult=2, decay=0.5, limit=6),
    "shift": lambda: L.shift(_lin(), 5),
    "per_epoch": lambda: L.per_epoch(L.exponential(1.0, 0.5), 7),
    "minimum": lambda: L.minimum(_lin(200), L.linear(0.0, 1.0, 300)),
    "maximum": lambda: L.maximum(_lin(200), 0.3),
    "warmup_cosine": lambda: L.warmup_cosine(1.0, 500, 10, end=0.01),
    "warmup_linear": lambda: L.warmup_linear(2.0, 500, 5, start=0.2),
    "wsd": lambda: L.wsd(1.0, 1000, 10, 200, end=0.01),
    "one_cycle": lambda: L.one_cycle(1.0, 500, three_phase=True),
    "sgdr": lambda: L.sgdr(1.0, 10, period_mult=2, warmup_steps=5),
    "cyclic": lambda: L.cyclic(0.1, 1.0, 5, mode="exp_range", gamma=0.97),
    "noam": lambda: L.noam(1.0, 100),
    "tri_stage": lambda: L.tri_stage(1.0, 10, 20, 300),
    "stack": lambda: L.stack([L.warmup_cosine(p, 500, 10) for p in (1.0, 0.5, 2.0)]),
    "fn": lambda: L.fn(inverse),
    "+": lambda: _lin() + L.cosine(1.0, 0.0, 200),
    "+number": lambda: 0.25 + _lin(),
    "-": lambda: L.linear(2.0, 1.0, 50) - L.exponential(1.0, 0.9),
    "-number": lambda: 1.0 - _lin(),
    "*": lambda: _lin(200) * L.exponential(1.0, 0.99),
    "*number": lambda: 3 * _lin(),
    "/": lambda: _lin(200) / L.linear(1.0, 2.0, 50),
    "/number": lambda: 2.0 / L.linear(1.0, 4.0, 10),
    "neg": lambda: -_lin(),
}
# names in lrsched.__all__ that build no schedule
NOT_BUILDERS = {
    "Plateau",
    "PlateauState",
    "Schedule",
    "boundaries",
    "evaluate",
    "from_dict",
    "plot",
    "register",
    "to_dict",
}
OPERATORS = {"+", "+number", "-", "-number", "*", "*number", "/", "/number", "neg"}

_optax_cycle = {"init_value": 0.0, "peak_value": 1.0, "warmup_steps": 5, "decay_steps": 50}

# every mirror, keyed "<peer>.<name>"
COMPAT = {
    "fairseq.cosine": lambda: fairseq.cosine(warmup_updates=10, lr=0.5, min_lr=0.01, lr_period_updates=50, t_mult=2.0),
    "fairseq.fixed": lambda: fairseq.fixed(force_anneal=3, warmup_updates=5, updates_per_epoch=20),
    "fairseq.inverse_sqrt": lambda: fairseq.inverse_sqrt(warmup_updates=50, warmup_init_lr=0.01),
    "fairseq.polynomial_decay": lambda: fairseq.polynomial_decay(
        warmup_updates=10, power=2.0, total_num_update=500, end_learning_rate=0.001
    ),
    "fairseq.step": lambda: fairseq.step(warmup_updates=5, lr_deacy_period=30, lr_decay=0.5),
    "fairseq.tri_stage": lambda: fairseq.tri_stage(warmup_steps=10, hold_steps=20, decay_steps=300),
    "fairseq.triangular": lambda: fairseq.triangular(1.0, lr_period_updates=40, shrink_min=True),
    "keras.cosine_decay": lambda: keras.cosine_decay(0.1, 500, alpha=0.1, warmup_target=1.0, warmup_steps=10),
    "keras.cosine_decay_restarts": lambda: keras.cosine_decay_restarts(1.0, 20, t_mul=2.0, m_mul=0.5),
    "keras.exponential_decay": lambda: keras.exponential_decay(1.0, 10, 0.9, staircase=True),
    "keras.inverse_time_decay": lambda: keras.inverse_time_decay(1.0, 10, 0.5),
    "keras.piecewise_constant_decay": lambda: keras.piecewise_constant_decay([10, 100], [1.0, 0.5, 0.1]),
    "keras.polynomial_decay": lambda: keras.polynomial_decay(1.0, 50, power=2.0, cycle=True),
    "optax.constant_schedule": lambda: optax.constant_schedule(0.7),
    "optax.cosine_decay_schedule": lambda: optax.cosine_decay_schedule(1.0, 500, alpha=0.1, exponent=2.0),
    "optax.cosine_onecycle_schedule": lambda: optax.cosine_onecycle_schedule(500, 1.0),
    "optax.exponential_decay": lambda: optax.exponential_decay(1.0, 10, 0.9, transition_begin=5, end_value=0.1),
    "optax.join_schedules": lambda: optax.join_schedules(
        [optax.constant_schedule(1.0), optax.linear_schedule(1.0, 0.0, 10)], [5]
    ),
    "optax.linear_onecycle_schedule": lambda: optax.linear_onecycle_schedule(500, 1.0),
    "optax.linear_schedule": lambda: optax.linear_schedule(1.0, 0.1, 200, transition_begin=5),
    "optax.piecewise_constant_schedule": lambda: optax.piecewise_constant_schedule(1.0, {10: 0.5, 100: 0.1}),
    "optax.piecewise_interpolate_schedule": lambda: optax.piecewise_interpolate_schedule(
        "cosine", 1.0, {4: 0.5, 200: 0.5}
    ),
    "optax.polynomial_schedule": lambda: optax.polynomial_schedule(1.0, 0.01, 2.0, 200, transition_begin=3),
    "optax.sgdr_schedule": lambda: optax.sgdr_schedule([_optax_cycle, _optax_cycle, _optax_cycle]),
    "optax.warmup_constant_schedule": lambda: optax.warmup_constant_schedule(0.0, 1.0, 10),
    "optax.warmup_cosine_decay_schedule": lambda: optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 500, end_value=0.01),
    "optax.warmup_exponential_decay_schedule": lambda: optax.warmup_exponential_decay_schedule(
        0.0, 1.0, 10, 20, 0.5, staircase=True, end_value=0.01
    ),
    "sklearn.constant": lambda: sklearn.constant(0.05),
    "sklearn.invscaling": lambda: sklearn.invscaling(0.1, 0.5),
    "sklearn.mlp_invscaling": lambda: sklearn.mlp_invscaling(1.0, 0.5, n_samples=30, batch_size=4),
    "sklearn.optimal": lambda: sklearn.optimal(alpha=1e-4, t0=1000.0),
    "timm.cosine_lr": lambda: timm.cosine_lr(50, lr_min=0.01, cycle_mul=2.0, cycle_limit=3, warmup_t=5, k_decay=2.0),
    "timm.decay_count": lambda: timm.decay_count(L.exponential(1.0, 0.5), 2.4),
    "timm.k_decay": lambda: timm.k_decay(L.linear(1.0, 0.0, 100), 100, 2.0),
    "timm.multi_step_lr": lambda: timm.multi_step_lr([10, 30], decay_rate=0.5, warmup_t=3, warmup_lr_init=0.1),
    "timm.poly_lr": lambda: timm.poly_lr(40, power=2.0, cycle_limit=2, steps_per_epoch=10),
    "timm.step_lr": lambda: timm.step_lr(2.5, decay_rate=0.5, warmup_t=2, warmup_lr_init=0.01),
    "timm.tanh_lr": lambda: timm.tanh_lr(60, lr_min=0.001, cycle_decay=0.5, cycle_limit=2),
    "torch.chained_scheduler": lambda: torch.chained_scheduler(
        [torch.constant_lr(0.1, total_iters=2, lr=0.5), torch.exponential_lr(0.99, lr=0.5)], lr=0.5
    ),
    "torch.constant_lr": lambda: torch.constant_lr(0.5, total_iters=10, lr=0.1),
    "torch.cosine_annealing_lr": lambda: torch.cosine_annealing_lr(30, eta_min=0.01, lr=0.1),
    "torch.cosine_annealing_warm_restarts": lambda: torch.cosine_annealing_warm_restarts(10, T_mult=2, eta_min=0.01),
    "torch.cyclic_lr": lambda: torch.cyclic_lr(0.1, 1.0, 5, 7, mode="triangular2"),
    "torch.cyclic_momentum": lambda: torch.cyclic_momentum(0.1, 1.0, 5, mode="exp_range", gamma=0.99),
    "torch.exponential_lr": lambda: torch.exponential_lr(0.99, lr=0.5),
    "torch.lambda_lr": lambda: torch.lambda_lr(inverse, lr=0.1),
    "torch.linear_lr": lambda: torch.linear_lr(0.25, 1.0, total_iters=20, lr=0.2),
    "torch.multi_step_lr": lambda: torch.multi_step_lr([10, 300], gamma=0.5, lr=0.1),
    "torch.one_cycle_lr": lambda: torch.one_cycle_lr(1.0, 500, anneal_strategy="linear"),
    "torch.one_cycle_momentum": lambda: torch.one_cycle_momentum(1.0, 500, three_phase=True),
    "torch.polynomial_lr": lambda: torch.polynomial_lr(200, power=2.0, lr=0.1),
    "torch.sequential_lr": lambda: torch.sequential_lr(
        [torch.linear_lr(0.5, total_iters=2), torch.exponential_lr(0.99)], milestones=[2]
    ),
    "torch.step_lr": lambda: torch.step_lr(30, gamma=0.5, lr=0.5),
    "torch.swa_lr": lambda: torch.swa_lr(0.05, anneal_epochs=4, anneal_strategy="linear", lr=0.25),
    "transformers.get_constant_schedule": lambda: transformers.get_constant_schedule(lr=0.1),
    "transformers.get_constant_schedule_with_warmup": lambda: transformers.get_constant_schedule_with_warmup(10),
    "transformers.get_cosine_schedule_with_warmup": lambda: transformers.get_cosine_schedule_with_warmup(10, 500),
    "transformers.get_cosine_with_hard_restarts_schedule_with_warmup": lambda: (
        transformers.get_cosine_with_hard_restarts_schedule_with_warmup(10, 500, num_cycles=3)
    ),
    "transformers.get_cosine_with_min_lr_schedule_with_warmup": lambda: (
        transformers.get_cosine_with_min_lr_schedule_with_warmup(10, 500, min_lr_rate=0.1)
    ),
    "transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate": lambda: (
        transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(10, 500, min_lr=0.01, warmup_lr_rate=0.1)
    ),
    "transformers.get_inverse_sqrt_schedule": lambda: transformers.get_inverse_sqrt_schedule(10, timescale=50),
    "transformers.get_linear_schedule_with_warmup": lambda: transformers.get_linear_schedule_with_warmup(10, 500),
    "transformers.get_polynomial_decay_schedule_with_warmup": lambda: (
        transformers.get_polynomial_decay_schedule_with_warmup(10, 500, power=2.0)
    ),
    "transformers.get_scheduler": lambda: transformers.get_scheduler(
        "cosine_with_restarts", num_warmup_steps=10, num_training_steps=500
    ),
    "transformers.get_wsd_schedule": lambda: transformers.get_wsd_schedule(
        10, 200, num_training_steps=1000, warmup_type="cosine", decay_type="1-sqrt", min_lr_ratio=0.1
    ),
}

# names in a compat module's __all__ that give no schedule document, and what they give instead
NOT_SCHEDULES = {
    "sklearn.adaptive": lambda: sklearn.adaptive(),  # a Plateau (state-driven, no step -> value)
    "sklearn.mlp_adaptive": lambda: sklearn.mlp_adaptive(),  # a Plateau
    "torch.reduce_lr_on_plateau": lambda: torch.reduce_lr_on_plateau(),  # a Plateau
    "transformers.get_reduce_on_plateau_schedule": lambda: transformers.get_reduce_on_plateau_schedule(),  # a Plateau
    "sklearn.optimal_t0": lambda: sklearn.optimal_t0(),  # a float: the t0 that sklearn.optimal derives
    # a schedule, but its fn holds a running product built inside the mirror around the caller's
    # function: no name can be registered to that object, so to_dict refuses it by design
    "torch.multiplicative_lr": lambda: torch.multiplicative_lr(inverse),
}

PEERS = {m.__name__.rpartition(".")[2]: m for m in (fairseq, keras, optax, sklearn, timm, torch, transformers)}

# the node classes lrsched defines; the documents above must reach each of them
NODE_TYPES = {
    "BinOp",
    "Chain",
    "Clip",
    "Constant",
    "Cycle",
    "DecayCount",
    "Exponential",
    "Fn",
    "InverseSqrt",
    "InverseTime",
    "Join",
    "KDecay",
    "PerEpoch",
    "PiecewiseConstant",
    "Ramp",
    "Shift",
    "Warmup",
}

CHILD = (
    """
import json, sys

preloaded = sorted(m for m in sys.modules if m == "lrsched" or m.startswith("lrsched."))
import lrsched

compat = sorted(m for m in sys.modules if m == "lrsched.compat" or m.startswith("lrsched.compat."))
"""
    + REGISTERED
    + """
docs = json.loads(open(sys.argv[1]).read())
steps = json.loads(sys.argv[2])
results = {}
for name, doc in docs.items():
    try:
        s = lrsched.from_dict(doc)
        results[name] = {"values": [getattr(v, "tolist", lambda v=v: v)() for v in map(s, steps)]}
    except Exception as e:
        results[name] = {"error": f"{type(e).__name__}: {e}"}
print(json.dumps({"preloaded": preloaded, "compat": compat, "results": results}))
"""
)


_BATCH = type(L.stack([L.constant(1.0)]))


def _values(s):
    return [getattr(v, "tolist", lambda v=v: v)() for v in map(s, STEPS)]


def _node_types(x, seen):
    if isinstance(x, L.Schedule):
        seen.add(type(x).__name__)
    if isinstance(x, (tuple, list)):
        for y in x:
            _node_types(y, seen)
    elif isinstance(x, L.Schedule) or type(x) is _BATCH:
        for y in vars(x).values():
            _node_types(y, seen)
    return seen


def _subclasses(cls):
    for c in cls.__subclasses__():
        yield c
        yield from _subclasses(c)


def test_the_tables_name_every_builder():
    assert set(L.__all__) - NOT_BUILDERS == set(OWN) - OPERATORS
    names = {f"{peer}.{n}" for peer, m in PEERS.items() for n in m.__all__}
    assert names == set(COMPAT) | set(NOT_SCHEDULES)
    assert set(PEERS) == {
        p.stem for p in Path(L.__file__).parent.joinpath("compat").glob("*.py") if not p.stem.startswith("_")
    }


def test_the_left_out_names_build_no_schedule_document():
    for name, build in NOT_SCHEDULES.items():
        out = build()
        if isinstance(out, L.Schedule):
            with pytest.raises(ValueError, match="register"):
                L.to_dict(out)
        else:
            assert isinstance(out, (L.Plateau, float)), name


def test_node_types_are_every_schedule_class_lrsched_defines():
    defined = {
        c.__name__
        for c in _subclasses(L.Schedule)
        if c.__module__.split(".")[0] == "lrsched" and not c.__name__.startswith("_") and not inspect.isabstract(c)
    }
    assert defined == NODE_TYPES


def test_every_document_loads_in_a_fresh_interpreter(tmp_path):
    built = {name: build() for name, build in {**OWN, **COMPAT}.items()}
    for name, s in built.items():
        assert isinstance(s, (L.Schedule, _BATCH)), name
    reached = _node_types(list(built.values()), set())
    assert NODE_TYPES <= reached, f"no document reaches {sorted(NODE_TYPES - reached)}"

    docs = {name: L.to_dict(s) for name, s in built.items()}
    path = tmp_path / "docs.json"
    path.write_text(json.dumps(docs))
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), json.dumps(STEPS)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(L.__file__).parent.parent,
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["preloaded"] == [], "lrsched was imported before the child imported it"
    assert out["compat"] == [], f"import lrsched imported {out['compat']}"

    errors = {n: r["error"] for n, r in out["results"].items() if "error" in r}
    assert not errors, "documents that do not load in a fresh interpreter:\n" + "\n".join(
        f"  {n}: {e}" for n, e in sorted(errors.items())
    )
    assert set(out["results"]) == set(built)
    wrong = {n: (r["values"], _values(built[n])) for n, r in out["results"].items() if r["values"] != _values(built[n])}
    assert not wrong, "values differ after loading (child, parent):\n" + "\n".join(
        f"  {n}: {c} != {p}" for n, (c, p) in sorted(wrong.items())
    )
