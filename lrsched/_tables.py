"""Dense evaluation over a window of steps: the dispatch to each node's hooks, and the shared
machinery the hooks build from.

A node's ``_layout`` is a small Python pass recording what the window decides from ``start``
(the pieces it touches and the steps spent in each); its ``_dense`` builds the values from that
layout, with the steps made inside the computation. Long ramps use blocked angle-addition grids
with float64 constant tables; runs of like ramps in a join become one small matrix product.
:func:`lrsched.evaluate` compiles these (see ``_evaluate``).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._backend import HALF_PI, NP
from ._quarter_sine import QUARTER_SINE
from ._ramps import SHAPES
from ._steps import NUMPY_CHUNK


def layout(s, start: int, n: int, xp):
    """What evaluating ``s`` over steps ``start .. start + n - 1`` decides from ``start`` (hashable).

    The pieces of a join, warmup or shift that the window touches, whether it enters each at the
    piece's own first step, and how many steps it spends in each; where a ramp stops. Array
    lengths and the choice of code follow from it alone, so one compiled program serves every
    ``start`` with the same layout, ``start`` itself being an argument.
    """
    return None if n == 0 else s._layout(start, n, xp)


_UNSET: Any = object()


def dense(s, start, n: int, xp, lay=_UNSET):
    """Values of ``s`` at steps ``start .. start + n - 1`` as a 1-d array of length ``n``.

    ``start`` is an int, or a traced integer scalar when ``lay`` (from :func:`layout` at a
    concrete start with the same layout) is given: every decision is then read from ``lay``.
    """
    if n == 0:
        return xp.full(0.0, 0)
    if lay is _UNSET:
        lay = layout(s, start, n, xp)
    if xp.compiled and flat_loop(s, lay):
        return xp.full(s._eval(xp.arange(start, n), QUARTER_SINE), n)
    return s._dense(start, n, xp, lay)


def flat_loop(s, lay) -> bool:
    """Whether ``dense`` writes a compiled window of ``s`` (``lay`` from :func:`layout`) as the
    node's own formula over its steps, one elementwise loop (see :data:`FEW`)."""
    return s._flat(FEW) >= 0 and not s._repeats(lay)


def pointwise(s, start, n: int, xp):
    """The formula of ``s`` over steps made in the computation (what a node without a dense form gives)."""
    return xp.full(s._eval(xp.arange(start, n), xp), n)


def dense_numpy(s, start: int, n: int, dtype=None):
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
# its range reduction (nodes say whether they qualify through their ``_flat`` hook).
# Every piece of a select chain is evaluated at every step: a budget of pieces, where a cosine costs
# as much as four plain pieces (its two polynomial sines), keeps that under what the piece-by-piece
# evaluation costs. One warmup + cosine fits; two cosines (one_cycle) are evaluated piece by piece.
FEW = 6
COSINE_COST = 4


# --------------------------------------------------------------------------------------------
# windows split into pieces
# --------------------------------------------------------------------------------------------
def segments(bounds, start, n):
    """Split [start, start + n) at ``bounds``: yields (piece index, local start, length)."""
    edges = [0, *bounds]
    stop = start + n
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        a = max(start, lo)
        b = stop if hi is None else min(stop, hi)
        if b > a:
            yield i, a - lo, b - a


def split(bounds, start, n, child, xp):
    """The layout of a window over pieces split at ``bounds``: (piece, enters at its first step,
    steps, layout of ``child(piece)`` or None) for each piece the window touches."""
    out = []
    for i, a, m in segments(bounds, start, n):
        c = child(i)
        out.append((i, a == 0, m, None if c is None else layout(c, a, m, xp)))
    return tuple(out)


def pieces(bounds, start, lay):
    """The pieces a layout from :func:`_split` names, each with its local start (0 or traced)."""
    for i, first, m, sub in lay:
        yield i, 0 if first else start - (bounds[i - 1] if i else 0), m, sub


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


TABLES = _TableMode()
STATIC_WEIGHTS = 1 << 16  # a run of like ramps this long or shorter gets its weights as constants


def table(fn, *, static=False, xp=None):
    """Small per-phase tables: computed directly, or recorded/replayed across the two programs.

    A ``static`` table depends on step counts alone: ``fn(NP)`` computes it in float64 NumPy at
    trace time and it enters the program as a constant (no second program needed).
    """
    t = TABLES
    if static:
        v = fn(NP)
        return v if xp is NP else tuple(xp.asarray(x, dtype=xp.float) for x in v)
    if t.mode == "replay":
        v = t.items[t.pos]
        t.pos += 1
        return v
    v = fn()
    if t.mode == "record":
        t.items.append(v)
    return v


def _outer(col, row):
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
        k0 = txp.arange(0, blocks) * size + start
        i = txp.arange(0, size)
        return make(k0, i, size, txp)

    grid = combine(table(tabs, static=static, xp=xp))
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


def cosine_weights_grid(n, start, m, xp):
    """Blocked weights sin^2(pi/2 * left), sin^2(pi/2 * done) of a cosine of ``n`` steps."""

    def make(k0, i, size, txp):
        # angles split as block + offset, both non-negative; step counts only, so a static table
        la, lb = HALF_PI * ((n - k0 - (size - 1)) / n), HALF_PI * ((size - 1 - i) / n)
        da, db = HALF_PI * (k0 / n), HALF_PI * (i / n)
        return tuple(f(x) for x in (la, lb, da, db) for f in (txp.sin, txp.cos))

    def combine(t):
        sla, cla, slb, clb, sda, cda, sdb, cdb = t
        if xp is NP:  # the same products, sums and squares, written in place into one buffer
            out, tmp = np.empty((2, sla.size, slb.size)), np.empty((sla.size, slb.size))
            for w, (sa, ca, sb, cb) in zip(out, ((sla, cla, slb, clb), (sda, cda, sdb, cdb))):
                np.multiply(sa[:, None], cb[None, :], out=w)
                w += np.multiply(ca[:, None], sb[None, :], out=tmp)
                w *= w
            return out
        sl = _outer(sla, clb) + _outer(cla, slb)
        sd = _outer(sda, cdb) + _outer(cda, sdb)
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
        return tuple(f(HALF_PI * (k / n)) for k in steps for f in (txp.sin, txp.cos))

    sal, cal, sad, cad, slb, clb, sdb, cdb = table(static_angles, static=True, xp=xp)

    def first_block():
        la = HALF_PI * ((n - start - (blocks * _BLOCK - 1)) / n)
        da = HALF_PI * (start / n)
        out: list = []
        for x, s, c in ((la, sal, cal), (da, sad, cad)):
            sx, cx = xp.sin(x), xp.cos(x)
            out += [sx * c + cx * s, cx * c - sx * s]
        return tuple(out)

    sla, cla, sda, cda = table(first_block)
    grid = combine((sla, cla, slb, clb, sda, cda, sdb, cdb)).reshape(2, -1)
    return grid, start + blocks * _BLOCK, m - blocks * _BLOCK


def active(steps, start, m):
    """How many of the steps ``start .. start + m - 1`` fall before a ramp of ``steps`` ends."""
    return max(0, min(start + m, steps) - start)


def ramp_weights(shape, params, n, start, m, active, xp):
    """Weights of a ramp's start and end value at steps ``start .. start + m - 1`` (two arrays);
    ``active`` of them before the ramp ends."""
    ws, we = [], []
    rest, left = start, active
    if shape == "cosine" and not params:
        grid, rest, left = cosine_weights_grid(n, start, active, xp)
        if grid is not None:
            ws.append(grid[0])
            we.append(grid[1])
    if left:
        k = xp.arange(rest, left)
        w0, w1 = SHAPES[shape][0](xp, n - k, k, n, params)
        ws.append(xp.full(w0, left))
        we.append(xp.full(w1, left))
    if m - active:
        ws.append(xp.full(0.0, m - active))
        we.append(xp.full(1.0, m - active))
    return xp.concat(ws), xp.concat(we)


def geometric_grid(a, ratio, n, start, m, xp):
    # a * ratio ** ((k0 + i) / n) == (a * ratio ** (k0 / n)) * ratio ** (i / n)
    def make(k0, i, size, txp):
        return a * ratio ** (k0 / n), ratio ** (i / n)

    return _blocked(start, m, xp, make, lambda t: _outer(t[0], t[1]).reshape(-1))
