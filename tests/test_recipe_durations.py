"""Recipe durations are whole numbers of steps: a fractional one is refused at build (TypeError, as
any non-int duration), naming the argument; an integral float (``1e4``, as configs often write it) is the int it equals."""

from __future__ import annotations

import pytest

import lrsched

# (builder, keyword arguments that build, the duration arguments)
CASES = [
    (lrsched.warmup_cosine, dict(peak=1.0, total_steps=100, warmup_steps=10), ["total_steps", "warmup_steps"]),
    (lrsched.warmup_linear, dict(peak=1.0, total_steps=100, warmup_steps=10), ["total_steps", "warmup_steps"]),
    (
        lrsched.wsd,
        dict(peak=1.0, total_steps=100, warmup_steps=10, decay_steps=20),
        ["total_steps", "warmup_steps", "decay_steps"],
    ),
    (lrsched.one_cycle, dict(peak=1.0, total_steps=100), ["total_steps"]),
    (lrsched.sgdr, dict(peak=1.0, period=10, warmup_steps=4), ["period", "warmup_steps"]),
    (lrsched.cyclic, dict(low=0.1, high=1.0, step_size_up=10, step_size_down=6), ["step_size_up", "step_size_down"]),
    (lrsched.noam, dict(peak=1.0, warmup_steps=10), ["warmup_steps"]),
    (
        lrsched.tri_stage,
        dict(peak=1.0, warmup_steps=10, hold_steps=10, decay_steps=10),
        ["warmup_steps", "hold_steps", "decay_steps"],
    ),
]
ROWS = [(f, kw, a) for f, kw, names in CASES for a in names]


@pytest.mark.parametrize("f, kw, arg", ROWS, ids=[f"{f.__name__}-{a}" for f, _, a in ROWS])
@pytest.mark.parametrize("frac", [0.5, 0.25, 0.001])
def test_fractional_duration_is_refused(f, kw, arg, frac):
    bad = dict(kw, **{arg: kw[arg] + frac})
    # a float is legal for wsd's decay_steps (a fraction of total_steps), so that one is a ValueError
    exc = ValueError if (f, arg) == (lrsched.wsd, "decay_steps") else TypeError
    with pytest.raises(exc, match=rf"^{arg}={kw[arg] + frac!r}: must be a whole number of steps"):
        f(**bad)


@pytest.mark.parametrize("f, kw, arg", ROWS, ids=[f"{f.__name__}-{a}" for f, _, a in ROWS])
def test_integral_float_duration_is_the_int(f, kw, arg):
    assert f(**dict(kw, **{arg: float(kw[arg])})) == f(**kw)


def test_wsd_fraction_of_total_is_still_a_fraction():
    # decay_steps in (0, 1) is a fraction of total_steps, rounded to the nearest step
    assert lrsched.wsd(1.0, 100, 10, 0.2) == lrsched.wsd(1.0, 100, 10, 20)
    assert lrsched.wsd(1.0, 1000, 10, 0.1234) == lrsched.wsd(1.0, 1000, 10, 123)


@pytest.mark.parametrize("up, down", [(2**63 - 1, None), (2**62, 2**62), (1, 2**63 - 1)])
def test_cyclic_cycle_past_the_longest_duration_names_the_recipe_arguments(up, down):
    with pytest.raises(
        ValueError, match=r"^step_size_up=.*, step_size_down=.*: a cycle of both must be <= 2\*\*63 - 1"
    ):
        lrsched.cyclic(0.1, 1.0, up, down)
    lrsched.cyclic(0.1, 1.0, 2**62, 2**62 - 1)  # exactly the longest cycle builds
