"""Dense evaluation of one schedule over a window of steps, node by node.

Each node type has a layout function (a small Python pass recording what the window decides from
``start``: the pieces it touches and the steps spent in each) and a dense function that builds the
values from that layout, with the steps made inside the computation. Long ramps use blocked
angle-addition grids with float64 constant tables; runs of like ramps in a join become one small
matrix product. :func:`lrsched.evaluate` compiles these (see ``_evaluate``).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._backend import JX, NP
from ._quarter_sine import _QUARTER_SINE
from ._schedule import NUMPY_CHUNK, Schedule


# --------------------------------------------------------------------------------------------
# per-node dense evaluation: values at steps start, start+1, ..., start+n-1 (start >= 0)
# --------------------------------------------------------------------------------------------
def _arange(start, n, xp):
    if xp.name == "numpy":
        return np.arange(start, start + n, dtype=np.int64)
    import jax.numpy as jnp
    from jax import lax

    dt = jnp.int64 if _x64() else jnp.int32
    return lax.iota(dt, n) + jnp.asarray(start, dt)


def _x64() -> bool:
    import jax

    return bool(jax.config.read("jax_enable_x64"))


def _step_hi(xp) -> int:
    """The largest step the backend's integer steps hold (int32 on JAX unless x64 is enabled)."""
    return 2**63 - 1 if xp.name == "numpy" or _x64() else 2**31 - 1


def _fill(v, n, xp):
    if xp.name == "numpy":
        return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))
    import jax.numpy as jnp

    return jnp.broadcast_to(jnp.asarray(v, dtype=jnp.result_type(float)), (n,))


def _concat(parts, xp):
    if len(parts) == 1:
        return parts[0]
    if xp.name == "numpy":
        return np.concatenate(parts)
    import jax.numpy as jnp

    return jnp.concatenate(parts)


def layout(s: Schedule, start: int, n: int, xp):
    """What evaluating ``s`` over steps ``start .. start + n - 1`` decides from ``start`` (hashable).

    The pieces of a join, warmup or shift that the window touches, whether it enters each at the
    piece's own first step, and how many steps it spends in each; where a ramp stops. Array
    lengths and the choice of code follow from it alone, so one compiled program serves every
    ``start`` with the same layout, ``start`` itself being an argument.
    """
    if n == 0:
        return None
    methods = _DENSE.get(type(s))
    return None if methods is None else methods[0](s, start, n, xp)


_UNSET: Any = object()


def dense(s: Schedule, start, n: int, xp, lay=_UNSET):
    """Values of ``s`` at steps ``start .. start + n - 1`` as a 1-d array of length ``n``.

    ``start`` is an int, or a traced integer scalar when ``lay`` (from :func:`layout` at a
    concrete start with the same layout) is given: every decision is then read from ``lay``.
    """
    if n == 0:
        return _fill(0.0, 0, xp)
    if xp is JX and _flat_left(s, _FEW) >= 0:
        return _fill(s._eval(_arange(start, n, xp), _QUARTER_SINE), n, xp)
    methods = _DENSE.get(type(s))
    if methods is None:
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    if lay is _UNSET:
        lay = methods[0](s, start, n, xp)
    return methods[1](s, start, n, xp, lay)


def dense_numpy(s: Schedule, start: int, n: int, dtype=None):
    """:func:`dense` on NumPy, written chunk by chunk into one preallocated array of ``dtype``
    (default float64): the temporaries are those of one chunk, and each value is what the whole
    window gives (the blocks are the phases' own, see :func:`_aligned`)."""
    out = np.empty(n, dtype=np.float64 if dtype is None else dtype)
    for a in range(0, n, NUMPY_CHUNK):
        m = min(NUMPY_CHUNK, n - a)
        out[a : a + m] = dense(s, start + a, m, NP)
    return out


# --------------------------------------------------------------------------------------------
# flat evaluation: a schedule of a few pieces as one elementwise expression over the steps
# --------------------------------------------------------------------------------------------
# A join or warmup of a few linear, sqrt, cosine or constant pieces is its own pointwise formula
# over an iota: one select chain, fused by XLA into one loop that writes each value once, with no
# concatenation of pieces and no table. The sines there are of angles in [0, pi/2] (a cosine
# ramp's pi/2 * left and pi/2 * done), so a fixed odd polynomial replaces the general sine and
# its range reduction.
# Every piece of a select chain is evaluated at every step: a budget of pieces, where a cosine costs
# as much as four plain pieces (its two polynomial sines), keeps that under what the piece-by-piece
# evaluation costs. One warmup + cosine fits; two cosines (one_cycle) are evaluated piece by piece.
_FEW = 6
_COSINE_COST = 4


def _flat_left(s, budget):
    """What is left of ``budget`` after the pieces of ``s``; negative where ``s`` is not flat."""
    from . import _combinators as C
    from . import _primitives as P

    t = type(s)
    if t is P.Constant:
        return budget - 1
    if t is P.Ramp:
        fits = isinstance(s.steps, int) and s.steps <= _step_hi(JX)
        simple = s.shape in ("linear", "sqrt") or (s.shape == "cosine" and not s.params)
        return budget - (_COSINE_COST if s.shape == "cosine" else 1) if fits and simple else -1
    if t is C.Warmup:
        if not isinstance(s.steps, int) or s.shape != "linear" or s.steps > _step_hi(JX):
            return -1
        return _flat_left(s.schedule, budget - 1)
    if t is C.Join:
        if any(isinstance(b, float) or b > _step_hi(JX) for b in s.boundaries):
            return -1
        for c in s.schedules:
            budget = _flat_left(c, budget)
            if budget < 0:
                return -1
        return budget
    return -1


def _segments(bounds, start, n):
    """Split [start, start + n) at ``bounds``: yields (piece index, local start, length)."""
    edges = [0, *bounds]
    stop = start + n
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        a = max(start, lo)
        b = stop if hi is None else min(stop, hi)
        if b > a:
            yield i, a - lo, b - a


def _split(bounds, start, n, child, xp):
    """The layout of a window over pieces split at ``bounds``: (piece, enters at its first step,
    steps, layout of ``child(piece)`` or None) for each piece the window touches."""
    out = []
    for i, a, m in _segments(bounds, start, n):
        c = child(i)
        out.append((i, a == 0, m, None if c is None else layout(c, a, m, xp)))
    return tuple(out)


def _pieces(bounds, start, lay):
    """The pieces a layout from :func:`_split` names, each with its local start (0 or traced)."""
    for i, first, m, sub in lay:
        yield i, 0 if first else start - (bounds[i - 1] if i else 0), m, sub


_MAX_PARTS = 64
"""On JAX, a join whose window would be built from more separately evaluated parts than this is
evaluated pointwise instead, where a step finds its piece with one ``searchsorted`` and one formula
per kind of piece: the compiled program then stays the same size however many pieces there are
(one sub-program per piece made XLA's compile of a 10,000-piece join run out of memory)."""


def _layout_join(s, start, n, xp):
    if any(isinstance(b, float) for b in s.boundaries):
        return None
    lay = _split(s.boundaries, start, n, lambda i: s.schedules[i], xp)
    if xp is JX and len(lay) > _MAX_PARTS and _parts(s, lay, xp) > _MAX_PARTS:
        return None
    return lay


def _parts(s, lay, xp) -> int:
    """How many parts :func:`_dense_join` would build: a run of like whole ramps counts once."""
    count, prev = 0, None
    for i, first, m, _ in lay:
        key = _run_key(s, i, 0 if first else None, m, xp)
        if key is None or key != prev:
            count += 1
        prev = key
    return count


def _dense_join(s, start, n, xp, lay):
    if lay is None:
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    parts, run = [], []
    for i, a, m, sub in _pieces(s.boundaries, start, lay):
        key = _run_key(s, i, a, m, xp)
        if run and (key is None or key != run[0][0]):
            parts.append(_dense_run(s, run, xp))
            run = []
        if key is None:
            parts.append(dense(s.schedules[i], a, m, xp, sub))
        else:
            run.append((key, i, sub))
    if run:
        parts.append(_dense_run(s, run, xp))
    return _concat(parts, xp)


def _run_key(s, i, a, m, xp):
    """Pieces that are whole ramps of one shape and length share their weights: a run key."""
    from ._primitives import Ramp

    piece = s.schedules[i]
    if type(piece) is not Ramp or piece.params or piece.shape in ("exponential", "tanh"):
        return None
    if (
        not isinstance(piece.steps, int)
        or piece.steps == 0
        or not isinstance(a, int)
        or a != 0
        or piece.steps > _step_hi(xp)
    ):
        return None
    return (piece.shape, piece.steps, m)


def _dense_run(s, run, xp):
    """Consecutive ramp pieces of one shape and length: one set of weights, an outer product."""
    (shape, steps, m), i0, sub = run[0]
    if len(run) == 1:
        return dense(s.schedules[i0], 0, m, xp, sub)
    active = _active(steps, 0, m)
    if m <= _STATIC_WEIGHTS:  # weights depend on step counts alone: float64 constants, once
        ws, we = _table(lambda txp: _ramp_weights(shape, (), steps, 0, m, active, txp), static=True, xp=xp)
    else:
        ws, we = _ramp_weights(shape, (), steps, 0, m, active, xp)
    pieces = [s.schedules[i] for _, i, _ in run]
    if xp is NP:  # each piece as _dense_ramp writes it, so a run cut by a chunk gives the same values
        return np.concatenate([p.start * ws + p.end * we for p in pieces])
    # (pieces, 2) @ (2, steps): a product XLA keeps as one op, so the gathered values are not
    # re-selected from hundreds of scalars at every step as a fused broadcast would do
    packed = _TABLES.packed if xp is JX else None
    if packed is not None and all(id(p.start) in packed[1] and id(p.end) in packed[1] for p in pieces):
        at = packed[1]
        ends = packed[0][np.array([[at[id(p.start)], at[id(p.end)]] for p in pieces])]
    else:
        ends = xp.stack([xp.stack([xp.asarray(p.start), xp.asarray(p.end)]) for p in pieces])
    return (ends @ xp.stack([xp.asarray(ws), xp.asarray(we)])).reshape(-1)


def _layout_warmup(s, start, n, xp):
    if isinstance(s.steps, float):
        return None
    return _split((s.steps,), start, n, lambda i: s.schedule if i else None, xp)


def _dense_warmup(s, start, n, xp, lay):
    w = s.steps
    if lay is None:
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    parts = []
    for i, a, m, sub in _pieces((w,), start, lay):
        if i == 0:  # the ramp up needs only the schedule's first value, not the whole subtree
            from ._combinators import _WARMUP_PARAMS
            from ._primitives import ramp_value

            first = s.schedule._eval(0, xp)
            up = ramp_value(xp, s.shape, _WARMUP_PARAMS[s.shape], s.start, first, _arange(a, m, xp), w)
            parts.append(_fill(up, m, xp))
        else:
            parts.append(dense(s.schedule, a, m, xp, sub))
    return _concat(parts, xp)


def _layout_shift(s, start, n, xp):
    d = s.steps
    if isinstance(d, float):
        return None
    if d <= 0:  # a delay of -d steps is the child at start - d, while those steps fit the backend
        return (layout(s.schedule, start - d, n, xp),) if start - d + n - 1 <= _step_hi(xp) else None
    return _split((d,), start, n, lambda i: s.schedule if i else None, xp)


def _dense_shift(s, start, n, xp, lay):
    d = s.steps
    if lay is None:
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    if d <= 0:
        return dense(s.schedule, start - d, n, xp, lay[0])
    parts = []
    for i, a, m, sub in _pieces((d,), start, lay):
        parts.append(
            _fill(s.schedule._eval(_arange(0, 1, xp), xp), m, xp) if i == 0 else dense(s.schedule, a, m, xp, sub)
        )
    return _concat(parts, xp)


def _layout_binop(s, start, n, xp):
    return layout(s.a, start, n, xp), layout(s.b, start, n, xp)


def _dense_binop(s, start, n, xp, lay):
    from ._combinators import _OPS

    return _OPS[s.op][0](xp, dense(s.a, start, n, xp, lay[0]), dense(s.b, start, n, xp, lay[1]))


def _layout_chain(s, start, n, xp):
    return tuple(layout(c, start, n, xp) for c in s.schedules)


def _dense_chain(s, start, n, xp, lay):
    it = zip(s.schedules, lay)
    c, sub = next(it)
    v = dense(c, start, n, xp, sub)
    for c, sub in it:
        v = v * dense(c, start, n, xp, sub)
    return v


def _layout_clip(s, start, n, xp):
    return layout(s.schedule, start, n, xp)


def _dense_clip(s, start, n, xp, lay):
    v = dense(s.schedule, start, n, xp, lay)
    if s.min is not None:
        v = xp.maximum(v, s.min)
    if s.max is not None:
        v = xp.minimum(v, s.max)
    return v


# --------------------------------------------------------------------------------------------
# blocked evaluation: a long phase as a (blocks, B) grid, value = f(block table, offset table)
# --------------------------------------------------------------------------------------------
# sin(a + b) = sin a cos b + cos a sin b with a, b >= 0 and a + b <= pi/2 has no cancellation, so
# a cosine over millions of steps costs a few multiplications per step and no transcendental,
# while staying within a few float32 ulps. The small tables are computed by a separate compiled
# program (XLA would otherwise fuse the sines back into the per-step loop).
_BLOCK = 1024


class _TableMode(threading.local):
    mode = "direct"
    items: list = []
    pos = 0
    packed: tuple | None = None  # (values array, {id(leaf): index}) while a packed schedule traces


_TABLES = _TableMode()
_STATIC_WEIGHTS = 1 << 16  # a run of like ramps this long or shorter gets its weights as constants


def _table(fn, *, static=False, xp=None):
    """Small per-phase tables: computed directly, or recorded/replayed across the two programs.

    A ``static`` table depends on step counts alone: ``fn(NP)`` computes it in float64 NumPy at
    trace time and it enters the program as a constant (no second program needed).
    """
    t = _TABLES
    if static:
        v = fn(NP)
        if xp is NP:
            return v
        import jax.numpy as jnp

        return tuple(jnp.asarray(x, dtype=jnp.result_type(float)) for x in v)
    if t.mode == "replay":
        v = t.items[t.pos]
        t.pos += 1
        return v
    v = fn()
    if t.mode == "record":
        t.items.append(v)
    return v


def _outer(col, row, xp):
    return col[:, None] * row[None, :]


def _blocked(start, m, xp, make, combine, *, static=False, limit=None):
    """Evaluate over [start, start + m): full blocks through tables, the rest directly.

    Fewer than ``_BLOCK`` steps are left over; the caller evaluates those directly. On NumPy the
    blocks are those of the phase's own steps (see :func:`_aligned`); ``limit`` bounds them there.
    """
    if xp is NP:
        return _aligned(start, m, make, combine, limit)
    size = _BLOCK  # a power of two: the flat index splits into block and offset by shifts
    blocks = m // size
    if blocks < 2:
        return None, start, m

    def tabs(txp=xp):
        k0 = _arange(0, blocks, txp) * size + start
        i = _arange(0, size, txp)
        return make(k0, i, size, txp)

    grid = combine(_table(tabs, static=static, xp=xp))
    return grid, start + blocks * size, m - blocks * size


def _aligned(start, m, make, combine, limit):
    """NumPy: the grid over the phase's own blocks (block ``j`` holds steps ``j * B .. j * B + B - 1``)
    that end at or before ``limit`` (None: no bound), cut to the window; the steps after them are
    left to the caller.

    Which formula a step gets, and from which tables, depends on that step alone, never on where the
    window starts, so a window split into chunks gives the values of the whole window, bit for bit.
    """
    size = _BLOCK
    j0, stop = start // size, start + m
    j1 = -(-stop // size) if limit is None else min(-(-stop // size), limit // size)
    hi = min(stop, j1 * size)
    if hi <= start:
        return None, start, m
    grid = combine(make(np.arange(j0, j1, dtype=np.int64) * size, np.arange(size, dtype=np.int64), size, NP))
    return grid[..., start - j0 * size : hi - j0 * size], hi, stop - hi


def _cosine_weights_grid(n, start, m, xp):
    """Blocked weights sin^2(pi/2 * left), sin^2(pi/2 * done) of a cosine of ``n`` steps."""
    from ._primitives import _HALF_PI

    def make(k0, i, size, txp):
        # angles split as block + offset, both non-negative; step counts only, so a static table
        la, lb = _HALF_PI * ((n - k0 - (size - 1)) / n), _HALF_PI * ((size - 1 - i) / n)
        da, db = _HALF_PI * (k0 / n), _HALF_PI * (i / n)
        return tuple(f(x) for x in (la, lb, da, db) for f in (txp.sin, txp.cos))

    def combine(t):
        sla, cla, slb, clb, sda, cda, sdb, cdb = t
        sl = _outer(sla, clb, xp) + _outer(cla, slb, xp)
        sd = _outer(sda, cdb, xp) + _outer(cda, sdb, xp)
        return xp.stack([sl * sl, sd * sd])

    if isinstance(start, int):
        return _blocked(start, m, xp, make, lambda t: combine(t).reshape(2, -1), static=True, limit=n)
    blocks = m // _BLOCK
    if blocks < 2:
        return None, start, m

    # a traced start: the angle done at the window's first block and the angle left at its last
    # are computed at run time (in the table program) and added to the static angles of the other
    # blocks from there, both non-negative (no cancellation); the offsets within a block are static
    def static_angles(txp):
        j, i = np.arange(blocks), np.arange(_BLOCK)
        steps = ((blocks - 1 - j) * _BLOCK, j * _BLOCK, _BLOCK - 1 - i, i)
        return tuple(f(_HALF_PI * (k / n)) for k in steps for f in (txp.sin, txp.cos))

    sal, cal, sad, cad, slb, clb, sdb, cdb = _table(static_angles, static=True, xp=xp)

    def first_block():
        la = _HALF_PI * ((n - start - (blocks * _BLOCK - 1)) / n)
        da = _HALF_PI * (start / n)
        out: list = []
        for x, s, c in ((la, sal, cal), (da, sad, cad)):
            sx, cx = xp.sin(x), xp.cos(x)
            out += [sx * c + cx * s, cx * c - sx * s]
        return tuple(out)

    sla, cla, sda, cda = _table(first_block)
    grid = combine((sla, cla, slb, clb, sda, cda, sdb, cdb)).reshape(2, -1)
    return grid, start + blocks * _BLOCK, m - blocks * _BLOCK


def _active(steps, start, m):
    """How many of the steps ``start .. start + m - 1`` fall before a ramp of ``steps`` ends."""
    return max(0, min(start + m, steps) - start)


def _ramp_weights(shape, params, n, start, m, active, xp):
    """Weights of a ramp's start and end value at steps ``start .. start + m - 1`` (two arrays);
    ``active`` of them before the ramp ends."""
    from ._primitives import SHAPES

    ws, we = [], []
    rest, left = start, active
    if shape == "cosine" and not params:
        grid, rest, left = _cosine_weights_grid(n, start, active, xp)
        if grid is not None:
            ws.append(grid[0])
            we.append(grid[1])
    if left:
        k = _arange(rest, left, xp)
        w0, w1 = SHAPES[shape][0](xp, (n - k) / n, k / n, params)
        ws.append(_fill(w0, left, xp))
        we.append(_fill(w1, left, xp))
    if m - active:
        ws.append(_fill(0.0, m - active, xp))
        we.append(_fill(1.0, m - active, xp))
    return _concat(ws, xp), _concat(we, xp)


def _geometric_grid(a, ratio, n, start, m, xp):
    # a * ratio ** ((k0 + i) / n) == (a * ratio ** (k0 / n)) * ratio ** (i / n)
    def make(k0, i, size, txp):
        return a * ratio ** (k0 / n), ratio ** (i / n)

    return _blocked(start, m, xp, make, lambda t: _outer(t[0], t[1], xp).reshape(-1))


def _layout_ramp(s, start, n, xp):
    return _active(s.steps, start, n) if isinstance(s.steps, int) else None


def _dense_ramp(s, start, n, xp, active):
    steps = s.steps
    if not isinstance(steps, int) or steps == 0 or s.shape == "tanh" or steps > _step_hi(xp):
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    if s.shape != "exponential":
        ws, we = _ramp_weights(s.shape, s.params, steps, start, n, active, xp)
        return s.start * ws + s.end * we
    parts = []
    grid, rest, m = _geometric_grid(s.start, s.end / s.start, steps, start, active, xp)
    if grid is not None:
        parts.append(grid)
    if m:
        parts.append(_fill(s._eval(_arange(rest, m, xp), xp), m, xp))
    if n - active:
        parts.append(_fill(s.end, n - active, xp))
    return _concat(parts, xp)


def _layout_none(s, start, n, xp):
    return None


def _dense_exponential(s, start, n, xp, lay):
    if s.staircase or not isinstance(s.steps, int) or s.steps > _step_hi(xp):
        return _fill(s._eval(_arange(start, n, xp), xp), n, xp)
    grid, rest, m = _geometric_grid(s.start, s.rate, s.steps, start, n, xp)
    parts = [] if grid is None else [grid]
    if m:
        parts.append(s.start * s.rate ** (_arange(rest, m, xp) / s.steps))
    v = _concat(parts, xp)
    if s.end is not None:
        v = xp.where(s.rate < 1.0, xp.maximum(v, s.end), xp.minimum(v, s.end))
    return _fill(v, n, xp)


def _dense_table():
    from . import _combinators as C
    from . import _primitives as P

    return {  # type: (layout, dense)
        P.Ramp: (_layout_ramp, _dense_ramp),
        P.Exponential: (_layout_none, _dense_exponential),
        C.Join: (_layout_join, _dense_join),
        C.Warmup: (_layout_warmup, _dense_warmup),
        C.Shift: (_layout_shift, _dense_shift),
        C.BinOp: (_layout_binop, _dense_binop),
        C.Chain: (_layout_chain, _dense_chain),
        C.Clip: (_layout_clip, _dense_clip),
    }


class _LazyTable(dict):
    def get(self, key, default=None):
        if not self:
            self.update(_dense_table())
        return super().get(key, default)


_DENSE = _LazyTable()
