"""Bad arguments raise at build time, with ValueError or TypeError naming the argument and its value.

Each row is (builder call, expected error type, the argument the message must name). The check is
``match=r"<arg>="`` (for an element of a list or mapping, ``<arg>[<i>]=``), the form of every
message (``warmup_steps=-3: must be >= 0``).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import lrsched as L

NAN, INF = math.nan, math.inf
c1 = L.constant(1.0)
lin = L.linear(1.0, 0.0, 10)

BAD = [
    # ---- constant ------------------------------------------------------------------------
    ("constant-nan", lambda: L.constant(NAN), ValueError, "value"),
    ("constant-inf", lambda: L.constant(-INF), ValueError, "value"),
    ("constant-bool", lambda: L.constant(True), TypeError, "value"),
    ("constant-str", lambda: L.constant("0.1"), TypeError, "value"),
    ("constant-none", lambda: L.constant(None), TypeError, "value"),
    ("constant-complex", lambda: L.constant(1j), TypeError, "value"),
    # ---- ramp ----------------------------------------------------------------------------
    ("ramp-start-nan", lambda: L.ramp(NAN, 0.0, 10), ValueError, "start"),
    ("ramp-end-bool", lambda: L.ramp(1.0, False, 10), TypeError, "end"),
    ("ramp-steps-negative", lambda: L.ramp(1.0, 0.0, -1), ValueError, "steps"),
    ("ramp-steps-bool", lambda: L.ramp(1.0, 0.0, True), TypeError, "steps"),
    ("ramp-steps-str", lambda: L.ramp(1.0, 0.0, "10"), TypeError, "steps"),
    ("ramp-steps-inf", lambda: L.ramp(1.0, 0.0, INF), ValueError, "steps"),
    ("ramp-steps-nan", lambda: L.ramp(1.0, 0.0, NAN), ValueError, "steps"),
    ("ramp-shape-unknown", lambda: L.ramp(1.0, 0.0, 10, "cosin"), ValueError, "shape"),
    ("ramp-shape-none", lambda: L.ramp(1.0, 0.0, 10, None), ValueError, "shape"),
    ("ramp-param-unknown", lambda: L.ramp(1.0, 0.0, 10, "linear", power=2.0), TypeError, "power"),
    ("ramp-param-other-shape", lambda: L.ramp(1.0, 0.0, 10, "cosine", alpha=0.5), TypeError, "alpha"),
    ("ramp-power-zero", lambda: L.ramp(1.0, 0.0, 10, "polynomial", power=0.0), ValueError, "power"),
    ("ramp-power-bool", lambda: L.ramp(1.0, 0.0, 10, "polynomial", power=True), TypeError, "power"),
    ("ramp-exponent-negative", lambda: L.ramp(1.0, 0.0, 10, "cosine", exponent=-1.0), ValueError, "exponent"),
    ("ramp-alpha-one", lambda: L.ramp(1.0, 0.0, 10, "rex", alpha=1.0), ValueError, "alpha"),
    ("ramp-alpha-negative", lambda: L.ramp(1.0, 0.0, 10, "rex", alpha=-0.1), ValueError, "alpha"),
    ("ramp-tanh-lower-above-upper", lambda: L.ramp(1.0, 0.0, 10, "tanh", lower=3.0, upper=-7.0), ValueError, "lower"),
    ("ramp-tanh-upper-nan", lambda: L.ramp(1.0, 0.0, 10, "tanh", upper=NAN), ValueError, "upper"),
    ("ramp-exponential-signs", lambda: L.ramp(1.0, -0.1, 10, "exponential"), ValueError, "end"),
    ("ramp-exponential-signs-start", lambda: L.ramp(-1.0, 0.1, 10, "exponential"), ValueError, "start"),
    ("ramp-exponential-zero-end", lambda: L.ramp(1.0, 0.0, 10, "exponential"), ValueError, "end"),
    # ---- linear / cosine -----------------------------------------------------------------
    ("linear-steps-negative", lambda: L.linear(0.0, 1.0, -5), ValueError, "steps"),
    ("linear-start-str", lambda: L.linear("0", 1.0, 5), TypeError, "start"),
    ("linear-end-inf", lambda: L.linear(0.0, INF, 5), ValueError, "end"),
    ("cosine-exponent-zero", lambda: L.cosine(1.0, 0.0, 10, exponent=0.0), ValueError, "exponent"),
    ("cosine-exponent-nan", lambda: L.cosine(1.0, 0.0, 10, exponent=NAN), ValueError, "exponent"),
    ("cosine-steps-list", lambda: L.cosine(1.0, 0.0, [10]), TypeError, "steps"),
    ("cosine-start-none", lambda: L.cosine(None, 0.0, 10), TypeError, "start"),
    ("cosine-end-nan", lambda: L.cosine(1.0, NAN, 10), ValueError, "end"),
    # ---- exponential ---------------------------------------------------------------------
    ("exponential-rate-zero", lambda: L.exponential(1.0, 0.0), ValueError, "rate"),
    ("exponential-rate-negative", lambda: L.exponential(1.0, -0.5), ValueError, "rate"),
    ("exponential-rate-bool", lambda: L.exponential(1.0, True), TypeError, "rate"),
    ("exponential-start-inf", lambda: L.exponential(INF, 0.5), ValueError, "start"),
    ("exponential-steps-zero", lambda: L.exponential(1.0, 0.5, 0), ValueError, "steps"),
    ("exponential-steps-negative", lambda: L.exponential(1.0, 0.5, -2), ValueError, "steps"),
    ("exponential-staircase-int", lambda: L.exponential(1.0, 0.5, 2, staircase=1), TypeError, "staircase"),
    ("exponential-end-nan", lambda: L.exponential(1.0, 0.5, end=NAN), ValueError, "end"),
    ("exponential-end-str", lambda: L.exponential(1.0, 0.5, end="0.1"), TypeError, "end"),
    # ---- inverse_time / inverse_sqrt -----------------------------------------------------
    ("inverse_time-rate-negative", lambda: L.inverse_time(1.0, -0.5), ValueError, "rate"),
    ("inverse_time-steps-zero", lambda: L.inverse_time(1.0, 0.5, 0), ValueError, "steps"),
    ("inverse_time-staircase-str", lambda: L.inverse_time(1.0, 0.5, staircase="yes"), TypeError, "staircase"),
    ("inverse_time-start-nan", lambda: L.inverse_time(NAN, 0.5), ValueError, "start"),
    ("inverse_time-power-zero", lambda: L.inverse_time(1.0, 0.5, power=0.0), ValueError, "power"),
    ("inverse_sqrt-timescale-zero", lambda: L.inverse_sqrt(1.0, 0), ValueError, "timescale"),
    ("inverse_sqrt-timescale-negative", lambda: L.inverse_sqrt(1.0, -10), ValueError, "timescale"),
    ("inverse_sqrt-timescale-bool", lambda: L.inverse_sqrt(1.0, True), TypeError, "timescale"),
    ("inverse_sqrt-start-bool", lambda: L.inverse_sqrt(False, 10), TypeError, "start"),
    # ---- piecewise -----------------------------------------------------------------------
    ("piecewise_constant-start-nan", lambda: L.piecewise_constant(NAN, {10: 0.1}), ValueError, "start"),
    ("piecewise_constant-scales-number", lambda: L.piecewise_constant(1.0, 0.1), TypeError, "scales"),
    (
        "piecewise_constant-scales-negative-step",
        lambda: L.piecewise_constant(1.0, {-1: 0.1}),
        ValueError,
        r"scales\[-1\]",
    ),
    ("piecewise_constant-scales-nan", lambda: L.piecewise_constant(1.0, {10: NAN}), ValueError, r"scales\[10\]"),
    ("piecewise_constant-scales-str-step", lambda: L.piecewise_constant(1.0, {"ten": 0.1}), TypeError, "scales"),
    ("piecewise_constant-scales-bad-pair", lambda: L.piecewise_constant(1.0, [(10, 0.1, 3)]), TypeError, "scales"),
    (
        "piecewise_constant-scales-duplicate",
        lambda: L.piecewise_constant(1.0, [(10, 0.1), (10, 0.5)]),
        ValueError,
        "scales",
    ),
    ("piecewise_linear-empty", lambda: L.piecewise_linear({}), ValueError, "points"),
    ("piecewise_linear-duplicate", lambda: L.piecewise_linear({0: 1.0, "0": 2.0}), ValueError, "points"),
    ("piecewise_linear-bool-value", lambda: L.piecewise_linear({0: True, 10: 0.0}), TypeError, r"points\[0\]"),
    ("piecewise_linear-float-step-nan", lambda: L.piecewise_linear({0: 1.0, NAN: 0.0}), ValueError, r"points\[nan\]"),
    ("piecewise_linear-shape", lambda: L.piecewise_linear({0: 1.0, 10: 0.0}, shape="step"), ValueError, "shape"),
    ("piecewise_linear-not-mapping", lambda: L.piecewise_linear(5), TypeError, "points"),
    # ---- fn / register -------------------------------------------------------------------
    ("fn-not-callable", lambda: L.fn(0.1), TypeError, "f"),
    ("fn-name-int", lambda: L.fn(abs, name=3), TypeError, "name"),
    ("register-name-empty", lambda: L.register(""), TypeError, "name"),
    ("register-name-int", lambda: L.register(5), TypeError, "name"),
    ("register-not-callable", lambda: L.register("lrsched-test-bad")(3), TypeError, "f"),
    # ---- warmup --------------------------------------------------------------------------
    ("warmup-schedule-number", lambda: L.warmup(1.0, 10), TypeError, "schedule"),
    ("warmup-steps-negative", lambda: L.warmup(c1, -3), ValueError, "steps"),
    ("warmup-steps-bool", lambda: L.warmup(c1, False), TypeError, "steps"),
    ("warmup-start-nan", lambda: L.warmup(c1, 10, start=NAN), ValueError, "start"),
    ("warmup-shape", lambda: L.warmup(c1, 10, shape="quadratic"), ValueError, "shape"),
    ("warmup-exponential-zero-start", lambda: L.warmup(c1, 10, shape="exponential"), ValueError, "start"),
    # ---- join ----------------------------------------------------------------------------
    ("join-schedule-not-list", lambda: L.join(c1, []), TypeError, "schedules"),
    ("join-empty", lambda: L.join([], []), ValueError, "schedules"),
    ("join-child-number", lambda: L.join([c1, 0.5], [10]), TypeError, r"schedules\[1\]"),
    ("join-boundaries-int", lambda: L.join([c1, lin], 10), TypeError, "boundaries"),
    ("join-decreasing", lambda: L.join([c1, lin, c1], [10, 5]), ValueError, "boundaries"),
    ("join-too-few-boundaries", lambda: L.join([c1, lin, c1], [10]), ValueError, "boundaries"),
    ("join-too-many-boundaries", lambda: L.join([c1, lin], [10, 20]), ValueError, "boundaries"),
    ("join-negative-boundary", lambda: L.join([c1, lin], [-1]), ValueError, r"boundaries\[0\]"),
    ("join-bool-boundary", lambda: L.join([c1, lin], [True]), TypeError, r"boundaries\[0\]"),
    # ---- chain / clip --------------------------------------------------------------------
    ("chain-empty", lambda: L.chain(), ValueError, "schedules"),
    ("chain-child-number", lambda: L.chain(c1, 2.0), TypeError, r"schedules\[1\]"),
    ("clip-schedule-none", lambda: L.clip(None, 0.0, 1.0), TypeError, "schedule"),
    ("clip-min-above-max", lambda: L.clip(lin, min=0.8, max=0.2), ValueError, "min"),
    ("clip-min-nan", lambda: L.clip(lin, min=NAN), ValueError, "min"),
    ("clip-max-str", lambda: L.clip(lin, max="1"), TypeError, "max"),
    # ---- cycle ---------------------------------------------------------------------------
    ("cycle-schedule-callable", lambda: L.cycle(lambda k: 1.0, 10), TypeError, "schedule"),
    ("cycle-period-zero", lambda: L.cycle(lin, 0), ValueError, "period"),
    ("cycle-period-negative", lambda: L.cycle(lin, -10), ValueError, "period"),
    ("cycle-period-bool", lambda: L.cycle(lin, True), TypeError, "period"),
    ("cycle-period_mult-below-one", lambda: L.cycle(lin, 10, period_mult=0.5), ValueError, "period_mult"),
    ("cycle-period_mult-zero", lambda: L.cycle(lin, 10, period_mult=0), ValueError, "period_mult"),
    ("cycle-period_mult-bool", lambda: L.cycle(lin, 10, period_mult=True), TypeError, "period_mult"),
    ("cycle-period_mult-str", lambda: L.cycle(lin, 10, period_mult="2"), TypeError, "period_mult"),
    ("cycle-period_mult-inf", lambda: L.cycle(lin, 10, period_mult=INF), ValueError, "period_mult"),
    ("cycle-period_mult-nan", lambda: L.cycle(lin, 10, period_mult=NAN), ValueError, "period_mult"),
    ("cycle-decay-nan", lambda: L.cycle(lin, 10, decay=NAN), ValueError, "decay"),
    ("cycle-limit-zero", lambda: L.cycle(lin, 10, limit=0), ValueError, "limit"),
    ("cycle-limit-float", lambda: L.cycle(lin, 10, limit=1.5), TypeError, "limit"),
    # ---- shift / per_epoch ---------------------------------------------------------------
    ("shift-steps-bool", lambda: L.shift(lin, True), TypeError, "steps"),
    ("shift-steps-nan", lambda: L.shift(lin, NAN), ValueError, "steps"),
    ("shift-schedule", lambda: L.shift("lin", 3), TypeError, "schedule"),
    ("per_epoch-float", lambda: L.per_epoch(lin, 1.5), TypeError, "steps_per_epoch"),
    ("per_epoch-zero", lambda: L.per_epoch(lin, 0), ValueError, "steps_per_epoch"),
    ("per_epoch-negative", lambda: L.per_epoch(lin, -100), ValueError, "steps_per_epoch"),
    ("per_epoch-schedule", lambda: L.per_epoch(None, 100), TypeError, "schedule"),
    # ---- arithmetic ----------------------------------------------------------------------
    ("div-by-zero", lambda: lin / 0.0, ValueError, "b"),
    ("minimum-str", lambda: L.minimum(lin, "0.3"), TypeError, "b"),
    ("maximum-none", lambda: L.maximum(None, lin), TypeError, "a"),
    ("minimum-bool", lambda: L.minimum(lin, True), TypeError, "b"),
    ("add-nan", lambda: lin + NAN, ValueError, "b"),  # the right operand
    # ---- warmup_cosine / warmup_linear ---------------------------------------------------
    ("warmup_cosine-peak-nan", lambda: L.warmup_cosine(NAN, 100, 10), ValueError, "peak"),
    ("warmup_cosine-peak-bool", lambda: L.warmup_cosine(True, 100, 10), TypeError, "peak"),
    ("warmup_cosine-total-negative", lambda: L.warmup_cosine(1.0, -100, 10), ValueError, "total_steps"),
    ("warmup_cosine-warmup-negative", lambda: L.warmup_cosine(1.0, 100, -10), ValueError, "warmup_steps"),
    ("warmup_cosine-warmup-above-total", lambda: L.warmup_cosine(1.0, 100, 101), ValueError, "warmup_steps"),
    ("warmup_cosine-start-nan", lambda: L.warmup_cosine(1.0, 100, 10, start=NAN), ValueError, "start"),
    ("warmup_cosine-end-str", lambda: L.warmup_cosine(1.0, 100, 10, end="0"), TypeError, "end"),
    ("warmup_linear-peak-inf", lambda: L.warmup_linear(INF, 100, 10), ValueError, "peak"),
    ("warmup_linear-warmup-above-total", lambda: L.warmup_linear(1.0, 10, 20), ValueError, "warmup_steps"),
    ("warmup_linear-total-str", lambda: L.warmup_linear(1.0, "100", 10), TypeError, "total_steps"),
    ("warmup_linear-start-inf", lambda: L.warmup_linear(1.0, 100, 10, start=INF), ValueError, "start"),
    ("warmup_linear-end-bool", lambda: L.warmup_linear(1.0, 100, 10, end=True), TypeError, "end"),
    # ---- wsd -----------------------------------------------------------------------------
    ("wsd-decay-too-long", lambda: L.wsd(1.0, 100, 10, 95), ValueError, "decay_steps"),
    ("wsd-decay-negative", lambda: L.wsd(1.0, 100, 10, -5), ValueError, "decay_steps"),
    ("wsd-decay-fraction-above-one", lambda: L.wsd(1.0, 100, 10, 1.5), ValueError, "decay_steps"),
    ("wsd-decay-fraction-negative", lambda: L.wsd(1.0, 100, 10, -0.5), ValueError, "decay_steps"),
    ("wsd-decay-fraction-too-long", lambda: L.wsd(1.0, 100, 30, 0.8), ValueError, "decay_steps"),
    ("wsd-decay-bool", lambda: L.wsd(1.0, 100, 10, True), TypeError, "decay_steps"),
    ("wsd-decay-str", lambda: L.wsd(1.0, 100, 10, "20"), TypeError, "decay_steps"),
    ("wsd-warmup-above-total", lambda: L.wsd(1.0, 100, 110, 0), ValueError, "warmup_steps"),
    ("wsd-total-negative", lambda: L.wsd(1.0, -100, 0, 0), ValueError, "total_steps"),
    ("wsd-peak-nan", lambda: L.wsd(NAN, 100, 10, 20), ValueError, "peak"),
    ("wsd-end-nan", lambda: L.wsd(1.0, 100, 10, 20, end=NAN), ValueError, "end"),
    ("wsd-start-bool", lambda: L.wsd(1.0, 100, 10, 20, start=False), TypeError, "start"),
    ("wsd-decay_shape", lambda: L.wsd(1.0, 100, 10, 20, decay_shape="cos"), ValueError, "decay_shape"),
    ("wsd-exponential-zero-end", lambda: L.wsd(1.0, 100, 10, 20, decay_shape="exponential"), ValueError, "end"),
    # ---- one_cycle -----------------------------------------------------------------------
    ("one_cycle-pct-zero", lambda: L.one_cycle(1.0, 100, pct_start=0.0), ValueError, "pct_start"),
    ("one_cycle-pct-one", lambda: L.one_cycle(1.0, 100, pct_start=1.0), ValueError, "pct_start"),
    ("one_cycle-pct-above", lambda: L.one_cycle(1.0, 100, pct_start=1.5), ValueError, "pct_start"),
    ("one_cycle-pct-negative", lambda: L.one_cycle(1.0, 100, pct_start=-0.1), ValueError, "pct_start"),
    ("one_cycle-pct-nan", lambda: L.one_cycle(1.0, 100, pct_start=NAN), ValueError, "pct_start"),
    ("one_cycle-total-zero", lambda: L.one_cycle(1.0, 0), ValueError, "total_steps"),
    ("one_cycle-total-float", lambda: L.one_cycle(1.0, 100.5), TypeError, "total_steps"),
    ("one_cycle-div-zero", lambda: L.one_cycle(1.0, 100, div_factor=0.0), ValueError, "div_factor"),
    (
        "one_cycle-final-div-negative",
        lambda: L.one_cycle(1.0, 100, final_div_factor=-1.0),
        ValueError,
        "final_div_factor",
    ),
    ("one_cycle-anneal", lambda: L.one_cycle(1.0, 100, anneal="exp"), ValueError, "anneal"),
    ("one_cycle-three_phase-int", lambda: L.one_cycle(1.0, 100, three_phase=1), TypeError, "three_phase"),
    ("one_cycle-peak-nan", lambda: L.one_cycle(NAN, 100), ValueError, "peak"),
    # ---- sgdr ----------------------------------------------------------------------------
    ("sgdr-peak-nan", lambda: L.sgdr(NAN, 10), ValueError, "peak"),
    ("sgdr-period-zero", lambda: L.sgdr(1.0, 0), ValueError, "period"),
    ("sgdr-period_mult-below-one", lambda: L.sgdr(1.0, 10, period_mult=0.9), ValueError, "period_mult"),
    ("sgdr-end-inf", lambda: L.sgdr(1.0, 10, end=INF), ValueError, "end"),
    ("sgdr-decay-str", lambda: L.sgdr(1.0, 10, decay="0.5"), TypeError, "decay"),
    ("sgdr-warmup-negative", lambda: L.sgdr(1.0, 10, warmup_steps=-1), ValueError, "warmup_steps"),
    ("sgdr-limit-zero", lambda: L.sgdr(1.0, 10, limit=0), ValueError, "limit"),
    # ---- cyclic --------------------------------------------------------------------------
    ("cyclic-mode", lambda: L.cyclic(0.1, 1.0, 10, mode="triangle"), ValueError, "mode"),
    ("cyclic-low-nan", lambda: L.cyclic(NAN, 1.0, 10), ValueError, "low"),
    ("cyclic-high-bool", lambda: L.cyclic(0.1, True, 10), TypeError, "high"),
    ("cyclic-up-zero", lambda: L.cyclic(0.1, 1.0, 0), ValueError, "step_size_up"),
    ("cyclic-down-negative", lambda: L.cyclic(0.1, 1.0, 10, -2), ValueError, "step_size_down"),
    ("cyclic-gamma-zero", lambda: L.cyclic(0.1, 1.0, 10, mode="exp_range", gamma=0.0), ValueError, "gamma"),
    # ---- noam / tri_stage ----------------------------------------------------------------
    ("noam-peak-nan", lambda: L.noam(NAN, 100), ValueError, "peak"),
    ("noam-warmup-zero", lambda: L.noam(1.0, 0), ValueError, "warmup_steps"),
    ("noam-warmup-bool", lambda: L.noam(1.0, True), TypeError, "warmup_steps"),
    ("tri_stage-peak-nan", lambda: L.tri_stage(NAN, 10, 10, 10), ValueError, "peak"),
    ("tri_stage-warmup-negative", lambda: L.tri_stage(1.0, -1, 10, 10), ValueError, "warmup_steps"),
    ("tri_stage-hold-negative", lambda: L.tri_stage(1.0, 10, -1, 10), ValueError, "hold_steps"),
    ("tri_stage-decay-negative", lambda: L.tri_stage(1.0, 10, 10, -1), ValueError, "decay_steps"),
    ("tri_stage-init-nan", lambda: L.tri_stage(1.0, 10, 10, 10, init_scale=NAN), ValueError, "init_scale"),
    ("tri_stage-final-zero", lambda: L.tri_stage(1.0, 10, 10, 10, final_scale=0.0), ValueError, "final_scale"),
]


@pytest.mark.parametrize("name,call,exc,arg", BAD, ids=[b[0] for b in BAD])
def test_bad_argument(name, call, exc, arg):
    with pytest.raises(exc, match=arg + "="):
        call()


def test_catalogue_covers_every_public_builder_argument():
    """Every parameter of every public builder appears in at least one row above."""
    import inspect

    named = {(n.split("-")[0], re.sub(r"\\\[.*", "", a)) for n, _, _, a in BAD}
    builders = [
        "constant", "ramp", "linear", "cosine", "exponential", "inverse_time", "inverse_sqrt",
        "piecewise_constant", "piecewise_linear", "fn", "register", "warmup", "join", "chain", "clip",
        "cycle", "shift", "per_epoch", "warmup_cosine", "warmup_linear", "wsd", "one_cycle", "sgdr",
        "cyclic", "noam", "tri_stage",
    ]  # fmt: skip
    missing = []
    for b in builders:
        for p in inspect.signature(getattr(L, b)).parameters.values():
            if p.kind is p.VAR_KEYWORD:
                continue
            if (b, p.name) not in named:
                missing.append(f"{b}({p.name})")
    # the shape parameters of ramp are covered under their own names
    assert not missing, missing


def test_bad_steps_at_call_time():
    s = L.warmup_cosine(1.0, 100, 10)
    for bad in (-1, -0.5, -(10**20)):
        with pytest.raises(ValueError, match="step="):
            s(bad)
    with pytest.raises(ValueError, match="step="):
        s(NAN)
    for bad in ("3", None, [1, 2], True, np.array([True])):
        with pytest.raises(TypeError, match="step="):
            s(bad)
    with pytest.raises(TypeError, match="step="):
        s(np.array(["a"]))


def test_errors_are_raised_not_degraded():
    # the message also carries the offending value and what was expected
    with pytest.raises(ValueError, match=r"warmup_steps=101: must be <= total_steps=100"):
        L.warmup_cosine(1.0, 100, 101)
    with pytest.raises(ValueError, match=r"period=-10: must be > 0"):
        L.cycle(lin, -10)
    with pytest.raises(ValueError, match=r"rate=0.0: must be > 0"):
        L.exponential(1.0, 0.0)


def test_schedule_has_no_truth_value():
    with pytest.raises(TypeError):
        bool(lin)
