"""Optax helpers: read the update count out of an optimizer state, and a plateau transformation.

A :class:`~lrsched.Schedule` is already an optax schedule (``optax.adam(schedule)`` works); these
helpers answer the questions that come after: which step is the optimizer at
(:func:`step_count`), which value will the next update use (:func:`current_value`), and how to
scale updates by a metric-driven :class:`~lrsched.Plateau` (:func:`plateau`).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import _validate as V
from ._lr_find import LRFindResult, check_sweep, sweep
from ._plateau import Plateau, PlateauState


def _is_count(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    dtype = getattr(v, "dtype", None)
    return dtype is not None and np.issubdtype(np.dtype(dtype), np.integer)


def _find_count(state, depth=0):
    if depth > 200:
        return None
    if isinstance(state, optax.MultiStepsState):
        # the outer updates actually applied, not the mini-steps that accumulate gradients
        return state.gradient_step
    fields = getattr(type(state), "_fields", None)
    if isinstance(state, tuple) and fields is not None:
        if "count" in fields and _is_count(state.count):
            return state.count
        children: Any = tuple(state)
    elif isinstance(state, (tuple, list)):
        children = state
    elif isinstance(state, dict):
        children = tuple(state.values())
    else:
        return None
    for child in children:
        found = _find_count(child, depth + 1)
        if found is not None:
            return found
    return None


def step_count(opt_state):
    """The number of updates applied so far, read from an optax optimizer state.

    Searches the state for the first update counter: ``MultiStepsState.gradient_step`` (the
    outer updates of ``optax.MultiSteps``, not its mini-steps), else the ``count`` of
    ``inject_hyperparams`` or of a transformation such as ``scale_by_schedule`` or
    ``scale_by_adam``, through ``chain``, ``masked``, ``multi_transform``,
    ``apply_if_finite`` (whose inner counter counts only the finite updates applied) and
    other wrappers. Works under ``jit``.

    Args:
        opt_state: the state of an optax ``GradientTransformation``.

    Returns:
        The count (an integer JAX array, or whatever integer the state holds).

    Raises:
        ValueError: when the state holds no update counter (for example a plain ``sgd`` with a
            constant learning rate, whose state is empty).

    Example:
        >>> import jax.numpy as jnp, optax, lrsched
        >>> import lrsched.optax
        >>> opt = optax.chain(optax.clip(1.0), optax.adam(lrsched.linear(1.0, 0.0, 10)))
        >>> params = jnp.zeros(3)
        >>> state = opt.init(params)
        >>> for _ in range(4):
        ...     _, state = opt.update(jnp.ones(3), state, params)
        >>> int(lrsched.optax.step_count(state))
        4
    """
    found = _find_count(opt_state)
    if found is None:
        raise ValueError(
            f"opt_state={type(opt_state).__name__}(...): no update counter found (no 'count' field of "
            "scale_by_schedule, scale_by_adam, inject_hyperparams, ... and no MultiStepsState); an "
            "optimizer with a constant learning rate and no moment estimates keeps none: pass it a schedule"
        )
    return found


def current_value(schedule, opt_state):
    """``schedule(step_count(opt_state))``: the value the next update will use.

    Args:
        schedule: a :class:`~lrsched.Schedule` (or any optax schedule).
        opt_state: the optimizer state.

    Example:
        >>> import jax.numpy as jnp, optax, lrsched
        >>> import lrsched.optax
        >>> s = lrsched.linear(1.0, 0.0, 8)
        >>> opt = optax.sgd(s)
        >>> params = jnp.zeros(2)
        >>> state = opt.init(params)
        >>> _, state = opt.update(jnp.ones(2), state, params)
        >>> float(lrsched.optax.current_value(s, state))
        0.875
    """
    return schedule(step_count(opt_state))


def plateau(plateau: Plateau) -> optax.GradientTransformationExtraArgs:
    """An optax transformation that multiplies the updates by a plateau's scale.

    Feed it the monitored value with every update: ``update(updates, state, params,
    value=loss)``. The state is the plateau's :class:`~lrsched.PlateauState` (JAX arrays);
    the updates are scaled by the scale *after* ``value`` is taken into account, so a
    reduction applies to the update of the step whose loss triggered it. Chain it after the
    optimizer: ``optax.chain(optax.adam(schedule), lrsched.optax.plateau(p))``.

    Args:
        plateau: a :class:`~lrsched.Plateau`.

    Example:
        >>> import jax.numpy as jnp, optax, lrsched
        >>> import lrsched.optax
        >>> tx = lrsched.optax.plateau(lrsched.Plateau(factor=0.5, patience=0))
        >>> params = jnp.zeros(2)
        >>> state = tx.init(params)
        >>> u, state = tx.update(jnp.ones(2), state, params, value=1.0)
        >>> u, state = tx.update(jnp.ones(2), state, params, value=2.0)
        >>> u.tolist()
        [0.5, 0.5]
    """
    if not isinstance(plateau, Plateau):
        raise TypeError(f"plateau={V.show(plateau)}: expected an lrsched.Plateau")

    def init_fn(params):
        del params
        ftype = jnp.result_type(float)
        st = plateau.init()
        return PlateauState(
            scale=jnp.asarray(st.scale, ftype),
            best=jnp.asarray(st.best, ftype),
            num_bad=jnp.asarray(st.num_bad, jnp.int32),
            cooldown_left=jnp.asarray(st.cooldown_left, jnp.int32),
            level=jnp.asarray(st.level, ftype),
        )

    def update_fn(updates, state, params=None, *, value=None, **extra_args):
        del params, extra_args
        if value is None:
            raise TypeError("value=None: lrsched.optax.plateau needs the monitored value, update(..., value=loss)")
        state = plateau.update(state, value)
        scale = state.scale
        updates = jax.tree_util.tree_map(lambda u: u * scale.astype(jnp.asarray(u).dtype), updates)
        return updates, state

    return optax.GradientTransformationExtraArgs(init_fn, update_fn)


def lr_find(
    loss_fn,
    params,
    make_optimizer,
    data,
    *,
    start_lr=1e-7,
    end_lr=10.0,
    num_steps=100,
    smoothing=0.98,
    diverge=4.0,
    verbose=True,
) -> LRFindResult:
    """The learning-rate range test for optax: train while the lr grows geometrically.

    The optimizer is ``make_optimizer(schedule)`` with ``schedule = ramp(start_lr, end_lr,
    num_steps - 1, shape="exponential")``, so update ``k`` uses ``schedule(k)`` from the
    optimizer's own update count: the step (``value_and_grad`` of ``loss_fn``, the optimizer's
    update, ``apply_updates``) is compiled once and the lr is never a new constant. One update
    per item of ``data``, passed whole as ``batch``; the test stops after ``num_steps`` updates
    or once the smoothed loss passes ``diverge`` times its minimum or is not finite. ``params``
    are not changed (the updated copies are dropped).

    Args:
        loss_fn: ``loss_fn(params, batch)``, a scalar.
        params: the parameters to start from (any pytree of arrays).
        make_optimizer: ``make_optimizer(learning_rate)``, an optax ``GradientTransformation``
            that takes a schedule as its learning rate, such as ``optax.adam``.
        data: an iterable of batches (a list, a generator), gone through again when it runs out.
        start_lr, end_lr, num_steps, smoothing, diverge, verbose: as in :func:`lrsched.torch.lr_find`.

    Returns:
        An :class:`~lrsched._lr_find.LRFindResult`.

    Example:
        >>> import jax, jax.numpy as jnp, optax
        >>> from lrsched.optax import lr_find
        >>> x = jax.random.normal(jax.random.key(0), (256, 4)); y = x @ jnp.array([1.0, -2.0, 0.5, 3.0])
        >>> loss = lambda w, batch: jnp.mean((batch[0] @ w - batch[1]) ** 2)
        >>> w = jnp.zeros(4)
        >>> r = lr_find(loss, w, optax.sgd, [(x, y)], start_lr=1e-4, num_steps=50, verbose=False)
        >>> r.diverged, 1e-3 < r.suggestion < 1.0, bool((w == 0).all())
        (True, True, True)
    """
    schedule = check_sweep(start_lr, end_lr, num_steps, smoothing, diverge, verbose)
    if not callable(loss_fn):
        raise TypeError(f"loss_fn={V.show(loss_fn)}: expected a callable")
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer={V.show(make_optimizer)}: expected a callable")
    tx = make_optimizer(schedule)
    if not isinstance(tx, optax.GradientTransformation):
        raise TypeError(
            f"make_optimizer={V.show(make_optimizer)}: returned a {type(tx).__name__}, not an optax GradientTransformation"
        )

    @jax.jit
    def step(p, s, batch):
        loss, grads = jax.value_and_grad(loss_fn)(p, batch)
        updates, s = tx.update(grads, s, p)
        return optax.apply_updates(p, updates), s, loss

    carry = [params, tx.init(params)]

    def update(k, batch):
        if k == 0:
            out = jax.eval_shape(loss_fn, params, batch)
            shape = getattr(out, "shape", None)
            if shape != ():
                what = f"shape {shape}" if shape is not None else type(out).__name__
                raise ValueError(f"loss_fn returned {what} at update 0: expected a scalar loss")
        p, s, loss = step(carry[0], carry[1], batch)
        carry[0], carry[1] = p, s
        return float(loss)

    return sweep(update, data, schedule, num_steps, float(smoothing), float(diverge), verbose)
