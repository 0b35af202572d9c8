"""Batches of schedules: :func:`stack` and the batch type it returns.

A batch is not a :class:`~lrsched.Schedule`: it has no single value at a step, so combinators and
arithmetic refuse it (compose the schedules first, then stack them). It holds one schedule whose
float leaves carry a leading batch axis, and it is a JAX pytree over those leaves, so
``jax.vmap(f)(batch)`` maps ``f`` over the members: under ``vmap`` the leaves have lost the batch
axis and ``f`` receives one plain schedule. Calling a batch, :func:`lrsched.evaluate` and
:func:`lrsched.plot` give one row (or curve) per member; ``to_dict`` writes the members as they were
given, floats exact.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _validate as V
from ._backend import JX
from ._node import Schedule, schedule_arg

_COMPOSE_FIRST = "a batch from lrsched.stack is not a schedule: compose the schedules first, then stack them"


class Stack:
    """A batch of schedules of one structure (what :func:`stack` returns).

    Attributes:
        schedule: one schedule whose float leaves have a leading axis of length ``size``.
        size: the number of members.
        schedules: the members, as given to :func:`stack` (rebuilt from the leaves after a JAX
            transformation made a new batch).
    """

    _kind = "stack"
    _batch = True  # what combinators check to refuse it
    _plain = False

    def __init__(self, schedule: Schedule, size: int, members: tuple | None = None):
        self.schedule = schedule
        self.size = size
        self._members = members

    # -- values -------------------------------------------------------------------------------
    def __call__(self, k):
        """The members' values at ``k``: shape ``(size, *k.shape)``, a JAX array."""
        if isinstance(k, (bool, np.bool_)) or (hasattr(k, "dtype") and np.dtype(k.dtype).kind not in "iuf"):
            raise TypeError(f"step={V.show(k)}: expected an integer or float step")
        if type(k) in (int, float) and not k >= 0:
            raise ValueError(f"step={V.show(k)}: must be >= 0")
        k = jnp.maximum(jnp.asarray(k), 0)

        def one(c):
            return jnp.broadcast_to(jnp.asarray(c._eval(k, JX), dtype=jnp.result_type(float)), k.shape)

        return jax.vmap(one)(self.schedule)

    @property
    def schedules(self) -> list[Schedule]:
        if self._members is not None:
            return list(self._members)
        return [jax.tree_util.tree_map(lambda x, i=i: float(x[i]), self.schedule) for i in range(self.size)]

    # -- structure ----------------------------------------------------------------------------
    def __repr__(self):
        return f"stack({self.schedules!r})"

    def __eq__(self, other):
        if not isinstance(other, Stack):
            return NotImplemented
        return self.size == other.size and self.schedules == other.schedules

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self):
        raise TypeError("a batch of schedules has no truth value")

    def _refuse(self, *_):
        raise TypeError(_COMPOSE_FIRST)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _refuse
    __truediv__ = __rtruediv__ = __neg__ = __pos__ = _refuse


def _flatten(b):
    return (b.schedule,), b.size


def _unflatten(size, children):
    (inner,) = children
    leaves = jax.tree_util.tree_leaves(inner)
    if leaves and all(getattr(x, "shape", ())[:1] == (size,) for x in leaves):
        return Stack(inner, size)
    # the leaves lost their batch axis (under jax.vmap): one member, a plain schedule
    return inner


jax.tree_util.register_pytree_node(Stack, _flatten, _unflatten)


def stack(schedules) -> Stack:
    """Schedules of one structure as one batch (their leaves gain a leading axis).

    Calling the batch, or :func:`evaluate` on it, gives a leading batch axis; the batch axis can
    be sharded across devices with ``jax.sharding``; ``jax.vmap(f)(batch)`` calls ``f`` with one
    plain schedule per member. A batch is not a schedule: combinators and arithmetic refuse it
    (compose the schedules first, then stack them).

    Args:
        schedules: a non-empty list of schedules with the same structure (same types, steps and
            shapes; different float values).

    Example:
        >>> import jax, jax.numpy as jnp, lrsched
        >>> b = lrsched.stack([lrsched.warmup_cosine(p, 100, 10) for p in (1.0, 2.0)])
        >>> lrsched.evaluate(b, 3, start=9).shape
        (2, 3)
        >>> [float(v) for v in jax.vmap(lambda s: s(jnp.asarray(10)))(b)]
        [1.0, 2.0]
    """
    if isinstance(schedules, (Schedule, Stack)) or not isinstance(schedules, (list, tuple)) or not schedules:
        raise TypeError(f"schedules={V.show(schedules)}: expected a non-empty list of schedules")
    for i, s in enumerate(schedules):
        schedule_arg(f"schedules[{i}]", s)
    first: Any = jax.tree_util.tree_structure(schedules[0])
    for i, s in enumerate(schedules[1:], 1):
        if jax.tree_util.tree_structure(s) != first:
            raise ValueError(
                f"schedules[{i}]={V.show(s)}: has a different structure from schedules[0]={V.show(schedules[0])}"
            )
    if not jax.tree_util.tree_leaves(schedules[0]):
        raise ValueError(f"schedules={V.show(schedules)}: the schedules have no float values to batch")
    dtype = jnp.result_type(float)

    def batch(*xs):
        if all(type(x) is float for x in xs):  # one array through NumPy: XLA compiles a stack of N in O(N) or worse
            return jnp.asarray(np.asarray(xs, dtype=np.float64), dtype=dtype)
        return jnp.stack([jnp.asarray(x, dtype=dtype) for x in xs])

    batched = jax.tree_util.tree_map(batch, *schedules)
    return Stack(batched, len(schedules), tuple(schedules))
