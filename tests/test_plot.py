"""lrsched.plot: the curves drawn are the schedule's values, phase boundaries sit where the
schedule's definition puts them, log scale and labels; all headless (Agg).

Expected values come from the formulas written here, never from lrsched's own output.
"""

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import lrsched


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def curves(ax):
    return [line for line in ax.lines if line.get_gid() == "lrsched-schedule"]


def marks(ax):
    out = []
    for line in ax.lines:
        if line.get_gid() == "lrsched-boundary":
            x = line.get_xdata()
            assert x[0] == x[1]  # a vertical line
            out.append(float(x[0]))
    return sorted(out)


def warmup_cosine_ref(k, peak, total, warm):
    if k < warm:
        return peak * k / warm
    t = min(k - warm, total - warm) / (total - warm)
    return peak * 0.5 * (1 + math.cos(math.pi * t))


def test_single_schedule_line_is_the_schedule(ax):
    s = lrsched.warmup_cosine(2.0, 100, 10)
    out = lrsched.plot(s, 120, ax=ax)
    assert out is ax
    (line,) = curves(ax)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(120))
    want = [warmup_cosine_ref(k, 2.0, 100, 10) for k in range(120)]
    np.testing.assert_allclose(line.get_ydata(), want, rtol=1e-12, atol=1e-15)
    assert ax.get_yscale() == "linear"
    assert ax.get_legend() is None  # one unlabelled schedule: no legend
    assert ax.get_xlim() == (0.0, 119.0)


def test_start_offsets_the_steps(ax):
    s = lrsched.warmup_cosine(1.0, 100, 10)
    lrsched.plot(s, 50, ax=ax, start=30)
    (line,) = curves(ax)
    np.testing.assert_array_equal(line.get_xdata(), np.arange(30, 80))
    np.testing.assert_allclose(
        line.get_ydata(), [warmup_cosine_ref(k, 1.0, 100, 10) for k in range(30, 80)], rtol=1e-12
    )
    assert marks(ax) == []  # the warmup ends at 10, before the range


def test_dict_form_labels_and_values(ax):
    schedules = {"flat": lrsched.constant(0.3), "line": lrsched.linear(1.0, 0.0, 40)}
    lrsched.plot(schedules, 50, ax=ax)
    lines = curves(ax)
    assert [line.get_label() for line in lines] == ["flat", "line"]
    np.testing.assert_array_equal(lines[0].get_ydata(), np.full(50, 0.3))
    np.testing.assert_allclose(
        lines[1].get_ydata(), [max(0.0, 1.0 - k / 40) for k in range(50)], rtol=1e-12, atol=1e-15
    )
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["flat", "line"]
    # boundary marks take their curve's colour
    (b,) = [line for line in ax.lines if line.get_gid() == "lrsched-boundary"]
    assert b.get_color() == lines[1].get_color()
    assert b.get_linestyle() == ":"


def test_log_y_sets_the_scale(ax):
    s = lrsched.exponential(1.0, 0.5, 10)
    lrsched.plot(s, 100, ax=ax, log_y=True)
    assert ax.get_yscale() == "log"
    (line,) = curves(ax)
    np.testing.assert_allclose(line.get_ydata(), [0.5 ** (k / 10) for k in range(100)], rtol=1e-12)


def test_log_y_without_positive_values_raises(ax):
    with pytest.raises(ValueError, match="log_y"):
        lrsched.plot(lrsched.constant(0.0), 10, ax=ax, log_y=True)


@pytest.mark.parametrize(
    "schedule, n, want",
    [
        # warmup ends at 10; the stable phase ends at 100 - 20; the cooldown ends at 100
        (lrsched.wsd(1.0, 100, 10, 20), 100, [10, 80]),
        (lrsched.wsd(1.0, 100, 10, 20), 101, [10, 80, 100]),
        # cycles of 10, 20, 40 start at 10, 30, 70 (and 150, out of range)
        (lrsched.sgdr(1.0, 10, period_mult=2), 100, [10, 30, 70]),
        # up 10, down 5: a cycle of 15
        (lrsched.cyclic(0.1, 1.0, 10, 5), 40, [10, 15, 25, 30]),
        # torch OneCycleLR's phase ends: pct_start * total - 1 and total - 1
        (lrsched.one_cycle(1.0, 100), 100, [29, 99]),
        (lrsched.one_cycle(1.0, 101), 101, [29.3, 100]),
        # a join whose second piece is a delayed ramp: the join at 20, the delay ends at 25, the ramp at 35
        (lrsched.join([lrsched.constant(1.0), lrsched.shift(lrsched.linear(1.0, 0.0, 10), 5)], [20]), 50, [20, 25, 35]),
        # a boundary at epoch 3 of 10 steps each
        (lrsched.per_epoch(lrsched.piecewise_constant(1.0, {3: 0.1}), 10), 60, [30]),
        # a limited cycle stops after 3 cycles of 20
        (lrsched.cycle(lrsched.linear(1.0, 0.5, 20), 20, limit=3), 100, [20, 40, 60]),
        # cycles stretched by period_mult=1.5: 10, 15, 22.5 long
        (lrsched.cycle(lrsched.cosine(1.0, 0.0, 10), 10, period_mult=1.5), 50, [10, 25, 47.5]),
        # the pieces of an arithmetic combination share the clock
        (lrsched.noam(1.0, 100) * lrsched.linear(1.0, 0.0, 500), 1000, [100, 500]),
        (lrsched.inverse_sqrt(1.0, 10), 100, []),
    ],
)
def test_phase_boundaries(ax, schedule, n, want):
    lrsched.plot(schedule, n, ax=ax)
    assert marks(ax) == pytest.approx(want)


def test_boundaries_offset_by_start(ax):
    s = lrsched.sgdr(1.0, 10)
    lrsched.plot(s, 25, ax=ax, start=1000)
    assert marks(ax) == [1010, 1020]


def test_too_many_boundaries_are_not_marked(ax):
    lrsched.plot(lrsched.sgdr(1.0, 2), 1000, ax=ax)  # 499 cycle starts
    assert marks(ax) == []
    assert len(curves(ax)) == 1


def test_default_axes_is_the_current_one():
    fig = plt.figure()
    try:
        ax = lrsched.plot(lrsched.constant(1.0), 5)
        assert ax is plt.gca()
        assert ax.figure is fig
    finally:
        plt.close(fig)


def test_schedule_with_jax_leaves(ax):
    import jax.numpy as jnp

    lrsched.plot(lrsched.linear(jnp.asarray(2.0), 0.0, 4), 6, ax=ax)
    (line,) = curves(ax)
    np.testing.assert_allclose(line.get_ydata(), [2.0, 1.5, 1.0, 0.5, 0.0, 0.0], rtol=1e-6)


@pytest.mark.parametrize(
    "args, kwargs, err, match",
    [
        (("warmup", 10), {}, TypeError, "schedules="),
        (({},), {"num_steps": 10}, ValueError, "at least one"),
        (({"a": 1.0}, 10), {}, TypeError, r"schedules\['a'\]"),
        (({1: lrsched.constant(1.0)}, 10), {}, TypeError, "labels"),
        ((lrsched.constant(1.0), 0), {}, ValueError, "num_steps=0"),
        ((lrsched.constant(1.0), 10), {"start": -1}, ValueError, "start=-1"),
        ((lrsched.constant(1.0), 10), {"log_y": "yes"}, TypeError, "log_y="),
        ((lrsched.constant(1.0), 10), {"ax": "axes"}, TypeError, "ax="),
    ],
)
def test_bad_arguments(args, kwargs, err, match):
    with pytest.raises(err, match=match):
        lrsched.plot(*args, **kwargs)


def test_a_batch_is_one_curve_per_member(ax):
    # the contract: plot takes a batch from lrsched.stack, each member drawn as it would be alone
    members = [lrsched.linear(1.0, 0.0, 10), lrsched.linear(2.0, 0.0, 10)]
    lrsched.plot(lrsched.stack(members), 11, ax=ax)
    lines = curves(ax)
    assert [line.get_label() for line in lines] == ["[0]", "[1]"]
    for line, peak in zip(lines, (1.0, 2.0)):
        assert np.allclose(line.get_ydata(), [peak * (1 - k / 10) for k in range(11)])
    assert marks(ax) == [10.0, 10.0]


def test_import_lrsched_does_not_import_matplotlib():
    code = (
        "import sys, lrsched, lrsched.cli, lrsched._plot\n"
        "assert callable(lrsched.plot)\n"
        "bad = [m for m in ('matplotlib', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize("peak", [3e-4, 1.0, 12345.0])
def test_default_figure_keeps_its_labels_inside(peak):
    plt.close("all")
    ax = lrsched.plot(lrsched.warmup_cosine(peak, 1000, 100), 1000)
    fig = ax.figure
    try:
        fig.canvas.draw()
        inside = fig.bbox
        drawn = ax.get_tightbbox(fig.canvas.get_renderer())  # axes, tick labels and axis labels
        assert drawn.x0 >= inside.x0 and drawn.y0 >= inside.y0
        assert drawn.x1 <= inside.x1 and drawn.y1 <= inside.y1
    finally:
        plt.close(fig)


def test_float_period_mult_restarts_are_marked_where_the_cycle_restarts(ax):
    # period 10, period_mult 1.1 (11/10 exactly): restarts at 10, 21, 33.1, 46.41
    s = lrsched.cycle(lrsched.linear(1.0, 0.0, 10), 10, period_mult=1.1)
    lrsched.plot(s, 60, ax=ax)
    assert marks(ax) == [10.0, 21.0, 33.1, 46.41]
    assert s(21) == 1.0 and s(20) < 0.1
