"""Dense evaluation of a batch whose members are linear in the values that tell them apart.

Most sweeps vary values that a schedule is linear in: a peak, a floor, a warmup's start. Over a
window of steps such a schedule is ``sum_j value_j * w_j(k)``, where the weights ``w_j`` depend on
the structure, the step counts and the values shared by every member, never on the varying ones.
The batch is then computed from ``1 + varying`` dense evaluations (the shared part, then one
weight row per varying value, each value set to 1 and the others to 0) and one product of the
members' varying values with those rows, instead of one dense evaluation per member: the cost
of the schedule's formula stops growing with the number of members.

Linearity is read from the structure (each node's ``_roles`` hook): a value is ``LIN`` where the schedule is
linear in it (a ramp's ends, a constant, a warmup's start), ``PAR`` where it shapes the weights
(a ramp's shape parameters, a clock warp); a ``PAR`` value must be the same for every member.
Products, quotients, clips and geometric pieces are not linear in this sense (a product whose
other factor overflows gives ``inf * 0`` in a weight row where the member gives ``inf``): a
batch with one of them is evaluated member by member.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ._backend import JX, is_traced
from ._node import LIN
from ._tables import TABLES, dense, table

_MAX_VARYING = 64
"""More varying values than this: member by member (the weight rows would outgrow the batch's
own evaluation)."""


def plan(batch) -> tuple[int, ...] | None:
    """The indices of the leaves that vary across the batch's members, where the fast path
    applies (every varying leaf ``LIN``); None where it does not. Kept on the batch."""
    if "_plan" not in batch.__dict__:
        batch.__dict__["_plan"] = _plan(batch)
    return batch.__dict__["_plan"]


def _plan(batch):
    leaves = jax.tree_util.tree_leaves(batch.schedule)
    roles = batch.schedule._roles()
    if roles is None or len(roles) != len(leaves):
        return None
    varying = []
    for i, (x, role) in enumerate(zip(leaves, roles)):
        if not _shared(x):
            if role != LIN:
                return None
            varying.append(i)
    if len(varying) > _MAX_VARYING or len(varying) + 1 > batch.size:
        return None
    return tuple(varying)


def _shared(x) -> bool:
    """Whether a batched leaf holds one value for every member (False where it is traced)."""
    if is_traced(x):
        return False
    a = np.asarray(x)
    return bool((a == a[0]).all())


def _rows(fn):
    """The weight rows, computed by the table program of :func:`lrsched.evaluate` and read by its
    value program: in one program XLA fuses the rows into the loop over the members' values and
    computes them again for every member. Tables the rows need are computed with them."""
    t = TABLES
    if t.mode != "record":
        return table(fn)
    t.mode = "direct"
    try:
        v = fn()
    finally:
        t.mode = "record"
    t.items.append(v)
    return v


def dense_stack(batch, start, n: int, lay, varying: tuple[int, ...]):
    """The ``(size, n)`` values of a batch with a :func:`plan`: shared row plus the varying
    values times their weight rows."""
    leaves, treedef = jax.tree_util.tree_flatten(batch.schedule)
    roles = batch.schedule._roles() or []
    rows = len(varying) + 1
    # row 0: the shared part (the varying values at 0); row r: varying value r - 1 at 1 and the
    # other LIN values at 0; the PAR values (shared) at their value in every row
    at = {i: r for r, i in enumerate(varying, 1)}
    basis = []
    for i, (x, role) in enumerate(zip(leaves, roles)):
        if i in at:
            basis.append(jnp.zeros(rows, x.dtype).at[at[i]].set(1))
        elif role == LIN:
            basis.append(jnp.zeros(rows, x.dtype).at[0].set(x[0]))
        else:
            basis.append(jnp.broadcast_to(x[0], (rows,)))
    w = _rows(lambda: jax.vmap(lambda *xs: dense(jax.tree_util.tree_unflatten(treedef, xs), start, n, JX, lay))(*basis))
    if not varying:
        return jnp.broadcast_to(w[0], (batch.size, n))
    if len(varying) == 1:
        return w[0][None, :] + leaves[varying[0]][:, None] * w[1][None, :]
    v = jnp.stack([leaves[i] for i in varying], axis=1)
    return w[0][None, :] + jnp.dot(v, w[1:], precision=lax.Precision.HIGHEST)
