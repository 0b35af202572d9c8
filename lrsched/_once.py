"""A schedule's first value, computed once per evaluation.

A warmup ramps to its schedule's value at step 0, and a warmup inside a warmup asks for it again at
every level: evaluated naively, ``d`` nested warmups trace ``d**2 / 2`` scalar computations (the
program of 16 nested phases had 1052 operations, 452 with each first value computed once). Within
one evaluation (a call on an array, or one of ``evaluate``'s programs) :func:`first_value`
remembers each node's value at step 0. A user function (``fn``) runs outside it, so an evaluation
of its own inside, perhaps under another ``jit``, never sees this one's values.
"""

from __future__ import annotations

import threading


class _Memo(threading.local):
    values: dict | None = None


_MEMO = _Memo()


def first_value(node, xp):
    """``node._eval(0, xp)``, once per evaluation (the node is kept, so its id is not reused)."""
    memo = _MEMO.values
    if memo is None or xp.static:
        return node._eval(0, xp)
    key = (id(node), id(xp))
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = (node, node._eval(0, xp))
    return hit[1]


def once(f, *args):
    """``f(*args)`` as one evaluation: first values are remembered during it, then forgotten."""
    if _MEMO.values is not None:
        return f(*args)
    _MEMO.values = {}
    try:
        return f(*args)
    finally:
        _MEMO.values = None


def outside(f, *args):
    """``f(*args)`` outside the current evaluation (a user function: it may evaluate on its own)."""
    saved = _MEMO.values
    if saved is None:
        return f(*args)
    _MEMO.values = None
    try:
        return f(*args)
    finally:
        _MEMO.values = saved
