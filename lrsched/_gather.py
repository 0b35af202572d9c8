"""Pieces of one structure share one formula: a join at an array step, at a cost that does not
grow with its number of pieces.

A join (with the joins and warmups nested in it flattened) is a sorted list of atoms, each a
piece that starts at a step. At an array step ``k`` the piece in force is found with one
``searchsorted`` over the starts; the pieces are grouped by structure (a ramp's shape, or a
piece's whole pytree structure), each group's leaves (and a ramp's lengths) are stacked into
arrays, and each group's formula runs once, on the leaves gathered at the piece's index within
its group. Groups are then selected with ``where`` on the piece's group id (no select with one
group). The stacked leaves are built with ``stack``, so ``jax.grad`` with respect to a piece's
leaf flows.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from ._backend import step_max
from ._ramps import INEXACT_END, SHAPES, ramp_value
from ._tables import TABLES


def _scalar(v) -> bool:
    return v is None or type(v) is float or getattr(v, "ndim", None) == 0


def plan(s, hi):
    """The static layout of join ``s`` next to integer steps up to ``hi`` (``None`` for float
    steps): the atoms reached, their starts, and per atom its group and its index in the group."""
    cache = s.__dict__.setdefault("_plans", {})
    if hi in cache:
        return cache[hi]
    found: list = []
    s._atoms(0, None, found)
    if hi is not None:  # an integer step k reaches a start b once k >= ceil(b)
        found = [a for a in found if math.ceil(a[0]) <= hi]
    keys: dict = {}
    gid, idx, groups = [], [], []
    for _, piece in found:
        r = piece._ramp_key()
        if r is not None:
            fits = type(r[2]) is int and (hi is None or r[2] <= hi)
            key = ("ramp", r[0], r[1]) if fits else ("alone", len(gid))
        else:
            key = ("tree", jax.tree_util.tree_structure(piece))
        g = keys.get(key)
        if g is None:
            g = keys[key] = len(groups)
            groups.append((key, []))
        gid.append(g)
        idx.append(len(groups[g][1]))
        groups[g][1].append(len(gid) - 1)
    p = (
        tuple(b for b, _ in found),
        tuple(a for _, a in found),
        np.asarray(gid, dtype=np.int32),
        np.asarray(idx, dtype=np.int32),
        groups,
    )
    cache[hi] = p
    return p


def _stack(vals, xp):
    if all(type(v) is float for v in vals):
        return xp.asarray(np.asarray(vals, dtype=np.float64), dtype=xp.float)
    packed = TABLES.packed if xp.compiled else None
    if packed is not None and all(id(v) in packed[1] for v in vals):
        # values unpacked from evaluate's one array: one gather by index, not a concatenate of
        # thousands of scalars (XLA's compile of that grows quadratically and runs out of memory)
        at = packed[1]
        return packed[0][np.array([at[id(v)] for v in vals], dtype=np.int32)]
    return xp.stack([xp.asarray(v) for v in vals])


def _rows(cols, xp):
    """The columns ``cols`` (one per value of a group's pieces) as one ``(pieces, columns)`` table,
    so a step gathers its piece's values in one gather of a row."""
    if all(type(v) is float for c in cols for v in c):
        return xp.asarray(np.asarray(cols, dtype=np.float64).T, dtype=xp.float)
    packed = TABLES.packed if xp.compiled else None
    if packed is not None and all(id(v) in packed[1] for c in cols for v in c):
        at = packed[1]
        return packed[0][np.array([[at[id(v)] for v in row] for row in zip(*cols)], dtype=np.int32)]
    return xp.stack([_stack(list(c), xp) for c in cols], axis=1)


def ramp_gathered(xp, shape, params, start, end, k, n, zeros=True):
    """:func:`~lrsched._ramps.ramp_value` with an array of lengths ``n`` (each fitting
    ``k``'s dtype, or floats next to float steps); a zero length gives ``end`` (``zeros``: whether
    a length may be zero). ``shape`` is a shape, or ``(shapes, index of each step's shape)`` for
    pieces of several shapes without parameters."""
    zero = (n == 0) if zeros else False
    if zeros:
        n = xp.where(zero, 1, n)
    m = xp.minimum(k, n)
    rest = n - m
    if type(shape) is tuple:  # (shapes, the shape of each step's piece): no parameters, exact ends
        kinds, at = shape
        ws, we = SHAPES[kinds[0]][0](xp, rest, m, n, ())
        for c, kind in enumerate(kinds[1:], 1):
            w0, w1 = SHAPES[kind][0](xp, rest, m, n, ())
            ws, we = xp.where(at == c, w0, ws), xp.where(at == c, w1, we)
        v = start * ws + end * we
        return xp.where(zero, end, v) if zeros else v
    if shape == "exponential":
        v = start * (end / start) ** (m / n)
    else:
        ws, we = SHAPES[shape][0](xp, rest, m, n, params)
        v = start * ws + end * we
    if shape in INEXACT_END:
        v = xp.where(k >= n, end, v)
    return xp.where(zero, end, v) if zeros else v


def join_value(s, k, xp):
    """Join ``s`` at the array step ``k >= 0``; ``NotImplemented`` where a leaf is not a scalar
    (such leaves broadcast, piece by piece, on the general path)."""
    hi = step_max(k)
    starts, pieces, gid, idx, groups = plan(s, hi)
    table, take = (jnp.asarray if xp.compiled else np.asarray), xp.take  # rows of each table, by index

    sdt = np.float64 if hi is None else np.dtype(k.dtype)
    if len(starts) == 1:
        i, local = 0, k
    elif hi is None:  # float steps
        sarr = np.asarray(starts, dtype=sdt)
        i = xp.searchsorted_right(sarr[1:], k)
        local = k - take(table(sarr, dtype=k.dtype), i)
    else:  # integer steps: k - b as (k - floor(b)) - frac(b), exact in k's integers
        whole = np.asarray([math.floor(b) for b in starts], dtype=sdt)
        i = xp.searchsorted_right(np.asarray([math.ceil(b) for b in starts[1:]], dtype=sdt), k)
        frac = [float(b - w) for b, w in zip(starts, whole)]
        if not any(frac) and all(key[0] == "ramp" and not key[2] and key[1] != "exponential" for key, _ in groups):
            # ramps without shape parameters (a cosine's, a linear's): per step one row of first
            # step, length (and shape) and one row of end values, whatever the mix of shapes
            shapes = [pieces[a]._ramp_key()[0] for a in range(len(pieces))]
            kinds = sorted(set(shapes))
            ints = [whole, np.asarray([pieces[a]._ramp_key()[2] for a in range(len(pieces))], dtype=sdt)]
            if len(kinds) > 1:
                ints.append(np.asarray([kinds.index(x) for x in shapes], dtype=sdt))
            cols = list(zip(*(pieces[a]._ramp_values(xp)[:2] for a in range(len(pieces)))))
            if all(_scalar(v) for c in cols for v in c):
                row = take(table(np.stack(ints, axis=1)), i)
                ends = take(_rows(cols, xp), i)
                kind = kinds[0] if len(kinds) == 1 else (kinds, row[..., 2])
                zeros = not ints[1].all()
                return ramp_gathered(xp, kind, (), ends[..., 0], ends[..., 1], k - row[..., 0], row[..., 1], zeros)
        local = k - take(table(whole), i)
        if any(frac):
            local = local - take(_stack(frac, xp), i)
    one = len(groups) == 1
    g_at = None if one else take(table(gid), i)
    j_all = i if one else take(table(idx), i)
    out = None
    for g, (key, members) in enumerate(groups):
        if len(members) == 1:
            piece = pieces[members[0]]
            if key[0] == "tree":
                v = piece._eval(local, xp)
            else:
                shape, _, n = piece._ramp_key()
                lv = piece._ramp_values(xp)
                v = ramp_value(xp, shape, tuple(lv[2:]), lv[0], lv[1], local, n)
        else:
            j = j_all if one else xp.minimum(j_all, len(members) - 1)
            if key[0] == "ramp":
                cols = list(zip(*(pieces[a]._ramp_values(xp) for a in members)))
            else:
                cols = list(zip(*(jax.tree_util.tree_leaves(pieces[a]) for a in members)))
            if not all(_scalar(v) for c in cols for v in c):
                return NotImplemented
            lv = take(_rows(cols, xp), j)
            lv = [lv[..., c] for c in range(len(cols))]
            if key[0] == "ramp":
                lengths = np.asarray([pieces[a]._ramp_key()[2] for a in members], dtype=sdt)
                n = take(table(lengths), j)
                v = ramp_gathered(xp, key[1], tuple(lv[2:]), lv[0], lv[1], local, n.astype(k.dtype), not lengths.all())
            else:
                v = jax.tree_util.tree_unflatten(key[1], lv)._eval(local, xp)
        out = v if out is None else xp.where(g_at == g, v, out)
    return out


def staircase(start, scales, bounds, k, xp):
    """``start`` times the product of the scales whose boundary ``k`` has reached: one lookup in a
    table of running products (exact float64 products for plain floats; ``cumprod`` of the
    stacked leaves otherwise, so gradients flow); ``NotImplemented`` where a leaf is not a scalar."""
    if not all(_scalar(x) for x in (start, *scales)):
        return NotImplemented

    if type(start) is float and all(type(s) is float for s in scales):
        run = [start]
        for s in scales:
            run.append(run[-1] * s)
        table = jnp.asarray(np.asarray(run), dtype=jnp.result_type(float))
    else:
        table = jnp.cumprod(_stack([start, *scales], xp))
    if step_max(k) is None:  # float steps
        at = np.asarray(bounds, dtype=np.float64)
    else:  # an integer step k reaches a boundary b once k >= ceil(b)
        at = np.asarray([math.ceil(b) for b in bounds], dtype=k.dtype)
    if len(bounds) == 1:  # one boundary: a compare and a select, no table
        return jnp.where(k >= at[0], table[1], table[0])
    return xp.take(table, xp.searchsorted_right(at, k))
