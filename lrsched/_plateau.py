"""Metric-driven schedules: :class:`Plateau` reduces a scale factor when a metric stops improving.

A :class:`Plateau` is a frozen description; its state is a :class:`PlateauState` (a NamedTuple,
so a JAX pytree). ``update(state, metric)`` is a pure function with two paths: plain Python for
Python numbers (and anything ``float()`` accepts, such as a 0-d torch tensor), and branch-free
``jax.numpy`` for JAX arrays and tracers, so it runs under ``jit`` and ``lax.scan``.

One update follows the order of the classic rule (``ReduceLROnPlateau.step`` in
``torch/optim/lr_scheduler.py``): compare the metric with the best so far, count a bad step or
reset the count, spend one step of cooldown (which also clears the count), and reduce when the
count of bad steps exceeds ``patience``. With ``ignore_first=n`` the first ``n`` metrics (those
seen during a warmup) change nothing but the count of metrics seen, as timm's
``PlateauLRScheduler`` skips the epochs of its warmup.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from . import _validate as V
from ._backend import is_jax

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")
_RULES = ("sign_aware", "torch", "sklearn")


class PlateauState(NamedTuple):
    """The state of a :class:`Plateau` (a NamedTuple, hence a JAX pytree).

    Attributes:
        scale: the factor to multiply a schedule by (``level / base``).
        best: the best metric seen so far (``inf`` for ``mode="min"``, ``-inf`` for ``"max"``
            before the first update).
        num_bad: updates since the last improvement (cleared during cooldown and by a reduction).
        cooldown_left: updates of cooldown still to go after the last reduction.
        level: the reduced value itself, starting at the plateau's ``base``; with the default
            ``base=1.0`` it equals ``scale``.
        seen: the metrics seen so far, counted up to the plateau's ``ignore_first`` (the ones
            it ignored); 0 when nothing is ignored.
    """

    scale: Any
    best: Any
    num_bad: Any
    cooldown_left: Any
    level: Any
    seen: Any = 0


class _PyOps:
    """The operations of the plateau rule on Python numbers (branches evaluated eagerly)."""

    abs = staticmethod(abs)
    isfinite = staticmethod(math.isfinite)
    maximum = staticmethod(max)

    @staticmethod
    def where(c, x, y):
        return x if c else y

    @staticmethod
    def logical_not(c):
        return not c


def _real(name, v, *, lo=None, lo_open=False, hi=None, hi_open=False, finite=True) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"{name}={V.show(v)}: expected a real number, got {type(v).__name__}")
    v = float(v)
    if not math.isfinite(v) if finite else math.isnan(v):
        raise ValueError(f"{name}={V.show(v)}: must be {'finite' if finite else 'a number (not NaN)'}")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ValueError(f"{name}={V.show(v)}: must be {'>' if lo_open else '>='} {lo}")
    if hi is not None and (v >= hi if hi_open else v > hi):
        raise ValueError(f"{name}={V.show(v)}: must be {'<' if hi_open else '<='} {hi}")
    return v


def _count(name, v) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{name}={V.show(v)}: expected a Python int, got {type(v).__name__}")
    v = int(v)
    if v < 0:
        raise ValueError(f"{name}={V.show(v)}: must be >= 0")
    return v


def _choice(name, v, options) -> str:
    if not isinstance(v, str) or v not in options:
        raise ValueError(f"{name}={V.show(v)}: must be one of {', '.join(repr(o) for o in options)}")
    return v


def _real_kind(dtype) -> bool | None:
    """Whether an array dtype is real (integer or floating); None where it is not one NumPy knows."""
    try:
        return np.dtype(dtype).kind in "iuf"
    except TypeError:  # a dtype of another library (torch): judged by its name
        name = str(dtype)
        return None if not name else not ("bool" in name or "complex" in name)


def _metric(m):
    """A metric for the plain path as a Python float: a real number or a real one-element array."""
    if type(m) is float or type(m) is int:
        return float(m)
    if isinstance(m, (bool, np.bool_, str, bytes, bytearray)) or not (
        isinstance(m, numbers.Real) or hasattr(m, "dtype")
    ):
        raise TypeError(f"metric={V.show(m)}: expected a real number, got {type(m).__name__}")
    if hasattr(m, "dtype"):
        if _real_kind(m.dtype) is False:
            raise TypeError(f"metric={V.show(m)}: expected a real number, got dtype {m.dtype}")
        size = m.size if isinstance(getattr(m, "size", None), int) else m.numel()
        if size != 1:
            raise ValueError(f"metric={V.show(m)}: expected one value, got {size}")
    return float(m)


def _jax_metric(m):
    """A metric for the JAX path: a real scalar array (a one-element array is made a scalar)."""
    import jax.numpy as jnp

    a = jnp.asarray(m)
    if not (jnp.issubdtype(a.dtype, jnp.integer) or jnp.issubdtype(a.dtype, jnp.floating)):
        raise TypeError(f"metric={V.show(m)}: expected a real number, got dtype {a.dtype}")
    if a.size != 1:
        raise ValueError(f"metric={V.show(m)}: expected one value, got an array of shape {a.shape}")
    return a.reshape(())


def state_from_data(data, where: str) -> PlateauState:
    """A :class:`PlateauState` from saved data (a dict of its fields), each field checked.

    ``scale`` is in ``[0, 1]``, ``level`` finite and >= 0, ``best`` a number (``±inf`` before
    the first metric, never NaN), ``num_bad``, ``cooldown_left`` and ``seen`` ints >= 0; data
    saved before ``seen`` existed (without it) reads as ``seen=0``.
    """
    names = PlateauState._fields
    if not isinstance(data, dict) or set(data) - {"seen"} != set(names) - {"seen"}:
        raise ValueError(f"{where}={V.show(data)}: expected the fields {list(names)}")
    return PlateauState(
        scale=_real(f"{where}.scale", data["scale"], lo=0.0, hi=1.0),
        best=_real(f"{where}.best", data["best"], finite=False),
        num_bad=_count(f"{where}.num_bad", data["num_bad"]),
        cooldown_left=_count(f"{where}.cooldown_left", data["cooldown_left"]),
        level=_real(f"{where}.level", data["level"], lo=0.0),
        seen=_count(f"{where}.seen", data.get("seen", 0)),
    )


@dataclasses.dataclass(frozen=True, repr=False)
class Plateau:
    """Reduce a scale factor by ``factor`` when a metric has stopped improving.

    ``init()`` gives the starting :class:`PlateauState` (``scale == 1.0``) and
    ``update(state, metric)`` returns the next one; multiply your schedule by ``state.scale``
    (or use :meth:`apply`). A metric *improves* on the best so far ``b`` when, for
    ``mode="min"``, it is below ``b - |b| * threshold`` (``threshold_mode="rel"``) or
    ``b - threshold`` (``"abs"``); ``mode="max"`` mirrors this with ``b + |b| * threshold`` and
    ``b + threshold``. The relative rule is sign-aware: a negative loss that goes down still
    improves. The first finite metric always improves on the initial ``±inf``; NaN never does.

    After each comparison one step of cooldown is spent (clearing the bad count); when the bad
    count exceeds ``patience`` the level becomes ``max(level * factor, min_scale)``, provided
    that lowers it by more than ``eps``, and cooldown restarts.

    Args:
        factor: the multiplier applied at each reduction, in ``[0, 1)``.
        patience: bad updates tolerated before reducing (an int >= 0).
        mode: ``"min"`` (the metric should go down) or ``"max"``.
        threshold: the margin an improvement must beat, >= 0.
        threshold_mode: ``"rel"`` (a fraction of ``|best|``) or ``"abs"``.
        cooldown: updates to wait after a reduction before counting bad updates again.
        min_scale: the floor of the level (with ``base=1.0``, the smallest scale), >= 0.
        ignore_first: how many metrics to ignore at the start (an int >= 0): the first
            ``ignore_first`` updates, those of a warmup, set neither the best value nor the bad
            count nor the cooldown; the state only counts them in ``seen``.
        rule: ``"sign_aware"`` (the rule above) or ``"torch"``: PyTorch's relative comparison,
            ``metric < best * (1 - threshold)`` (``best * (1 + threshold)`` for ``"max"``),
            which is not sign-aware (with a negative best it accepts a slightly worse metric).
            The absolute rule is the same under both. Or ``"sklearn"``: scikit-learn's
            ``n_iter_no_change`` rule (``_plain_sgd``, ``MLP._update_no_improvement_count``): an
            update is bad only when the metric is past the margin on the wrong side (for
            ``"min"``, ``metric > best - threshold``), so reaching the margin, and NaN, count as
            improvements; and ``best`` is the running minimum (maximum) of all metrics.
        eps: a reduction is applied only when it lowers the level by more than ``eps`` (PyTorch
            uses ``1e-8``); >= 0.
        base: where the level starts, > 0; ``min_scale`` and ``eps`` are in the units of
            ``base``. :func:`lrsched.compat.torch.reduce_lr_on_plateau` sets it to the param
            group's lr so that the running product is PyTorch's, rounding included.

    Example:
        >>> import lrsched
        >>> p = lrsched.Plateau(factor=0.5, patience=1)
        >>> state = p.init()
        >>> for loss in [1.0, 0.9, 0.95, 0.97]:
        ...     state = p.update(state, loss)
        >>> state.scale, state.best
        (0.5, 0.9)
        >>> p
        Plateau(0.5, 1)
    """

    factor: float = 0.1
    patience: int = 10
    _: dataclasses.KW_ONLY
    mode: str = "min"
    threshold: float = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_scale: float = 0.0
    ignore_first: int = 0
    rule: str = "sign_aware"
    eps: float = 0.0
    base: float = 1.0

    def __post_init__(self):
        fix = {
            "factor": _real("factor", self.factor, lo=0.0, hi=1.0, hi_open=True),
            "patience": _count("patience", self.patience),
            "mode": _choice("mode", self.mode, _MODES),
            "threshold": _real("threshold", self.threshold, lo=0.0),
            "threshold_mode": _choice("threshold_mode", self.threshold_mode, _THRESHOLD_MODES),
            "cooldown": _count("cooldown", self.cooldown),
            "min_scale": _real("min_scale", self.min_scale, lo=0.0),
            "ignore_first": _count("ignore_first", self.ignore_first),
            "rule": _choice("rule", self.rule, _RULES),
            "eps": _real("eps", self.eps, lo=0.0),
            "base": _real("base", self.base, lo=0.0, lo_open=True),
        }
        for n, v in fix.items():
            object.__setattr__(self, n, v)

    # -- the rule -----------------------------------------------------------------------------
    def init(self) -> PlateauState:
        """The starting state: scale 1, no best metric yet, no bad updates, no cooldown.

        Example:
            >>> import lrsched
            >>> lrsched.Plateau().init()
            PlateauState(scale=1.0, best=inf, num_bad=0, cooldown_left=0, level=1.0, seen=0)
        """
        worst = math.inf if self.mode == "min" else -math.inf
        return PlateauState(scale=1.0, best=worst, num_bad=0, cooldown_left=0, level=self.base, seen=0)

    def _margin(self, best, xp_abs, xp_where, xp_isfinite):
        """``best`` moved by the threshold, in the direction an improvement has to go."""
        t = self.threshold
        sign = -1.0 if self.mode == "min" else 1.0
        if self.threshold_mode == "abs":
            return best + sign * t
        if self.rule == "torch":
            # torch/optim/lr_scheduler.py, ReduceLROnPlateau._is_better: best * (1 -/+ threshold)
            return best * (1.0 - t) if self.mode == "min" else best * (t + 1.0)
        # |best| * t is NaN for an infinite best and t == 0; an infinite best needs no margin.
        return best + sign * xp_where(xp_isfinite(best), xp_abs(best) * t, 0.0)

    def update(self, state: PlateauState, metric) -> PlateauState:
        """Feed one metric value; returns the next state (``state`` is not modified).

        Python numbers take a plain-Python path (anything ``float()`` accepts, such as a 0-d
        torch tensor, is converted); a JAX array or tracer in ``metric`` or ``state`` takes a
        branch-free ``jax.numpy`` path that works under ``jit``, ``vmap`` and ``lax.scan``.

        Args:
            state: the current :class:`PlateauState`.
            metric: the monitored value (a scalar).

        Example:
            >>> import lrsched
            >>> p = lrsched.Plateau(factor=0.5, patience=0)
            >>> s = p.update(p.init(), -1.0)
            >>> p.update(s, -1.5).scale, p.update(s, -0.5).scale
            (1.0, 0.5)
        """
        if is_jax(metric) or any(is_jax(x) for x in state):
            return self._update_jax(state, metric)
        return self._rule(_PyOps, PlateauState(*state), _metric(metric))

    def _rule(self, xp, state, a):
        """One update of ``state`` by the metric ``a``, written once for ``xp``: the Python
        operations (:class:`_PyOps`) or ``jax.numpy``; both branches of a choice are computed."""
        scale, best, num_bad, cooldown_left, level, seen = state
        lower = self.mode == "min"
        thr = self._margin(best, xp.abs, xp.where, xp.isfinite)
        if self.rule == "sklearn":
            better = xp.logical_not(a > thr if lower else a < thr)
            new_best = xp.where(a < best if lower else a > best, a, best)
        else:
            better = a < thr if lower else a > thr
            new_best = xp.where(better, a, best)
        bad = xp.where(better, 0, num_bad + 1)
        cooling = cooldown_left > 0
        left = xp.where(cooling, cooldown_left - 1, cooldown_left)
        bad = xp.where(cooling, 0, bad)
        reduce = bad > self.patience
        lowered = xp.maximum(level * self.factor, self.min_scale)
        change = reduce & (level - lowered > self.eps)
        new_level = xp.where(change, lowered, level)
        new_scale = xp.where(change, new_level / self.base, scale)
        left = xp.where(reduce, self.cooldown, left)
        bad = xp.where(reduce, 0, bad)
        skip = seen < self.ignore_first
        return PlateauState(
            scale=xp.where(skip, scale, new_scale),
            best=xp.where(skip, best, new_best),
            num_bad=xp.where(skip, num_bad, bad),
            cooldown_left=xp.where(skip, cooldown_left, left),
            level=xp.where(skip, level, new_level),
            seen=xp.where(skip, seen + 1, seen),
        )

    def _update_jax(self, state, metric):
        import jax.numpy as jnp

        a = _jax_metric(metric)
        if not jnp.issubdtype(a.dtype, jnp.floating):
            a = a.astype(jnp.result_type(float))
        fields = [jnp.asarray(x) for x in PlateauState(*state)]
        out = self._rule(jnp, PlateauState(*fields), a)
        # each field keeps its dtype, so the state is a stable lax.scan / jit carry
        return PlateauState(*(x.astype(f.dtype) for x, f in zip(out, fields)))

    def apply(self, state: PlateauState, value):
        """``value`` under the plateau: ``value * state.scale``.

        Where ``value`` equals ``base`` the result is ``state.level`` itself, which is the same
        number without the rounding of a division and a product: a constant schedule at
        ``base`` then follows the running product exactly.

        Args:
            state: a :class:`PlateauState` of this plateau.
            value: a schedule's value (a Python float or a JAX array).

        Example:
            >>> import lrsched
            >>> p = lrsched.Plateau(factor=0.5, patience=0)
            >>> s = p.update(p.update(p.init(), 1.0), 2.0)
            >>> p.apply(s, 0.2)
            0.1
        """
        if type(value) is float and not is_jax(state.scale):
            return state.level if value == self.base else value * state.scale
        import jax.numpy as jnp

        return jnp.where(value == self.base, state.level, value * state.scale)

    # -- data ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The plateau as JSON-safe data; :meth:`from_dict` rebuilds it.

        Example:
            >>> import lrsched
            >>> d = lrsched.Plateau(0.5, 3).to_dict()
            >>> d["type"], d["factor"], d["patience"]
            ('plateau', 0.5, 3)
            >>> lrsched.Plateau.from_dict(d) == lrsched.Plateau(0.5, 3)
            True
        """
        out: dict[str, Any] = {"type": "plateau"}
        out.update({f.name: getattr(self, f.name) for f in _FIELDS})
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Plateau:
        """Rebuild a plateau from :meth:`to_dict` data; every argument is validated again.

        Args:
            data: a dict with ``"type": "plateau"`` and any of the constructor's arguments.

        Example:
            >>> import lrsched
            >>> lrsched.Plateau.from_dict({"type": "plateau", "patience": 2})
            Plateau(0.1, 2)
        """
        if not isinstance(data, dict):
            raise TypeError(f"data={V.show(data)}: expected a dict with 'type': 'plateau'")
        if data.get("type") != "plateau":
            raise ValueError(f"data.type={V.show(data.get('type'))}: expected 'plateau'")
        names = [f.name for f in _FIELDS]
        kwargs = {}
        for n, v in data.items():
            if n == "type":
                continue
            if n not in names:
                raise ValueError(f"data.{V.show(n)}: unknown field of a plateau (its fields: {', '.join(names)})")
            kwargs[n] = v
        return cls(**kwargs)

    def __repr__(self):
        parts = [repr(self.factor), repr(self.patience)]
        for f in _FIELDS[2:]:
            v = getattr(self, f.name)
            if v != f.default:
                parts.append(f"{f.name}={v!r}")
        return f"Plateau({', '.join(parts)})"


_FIELDS = tuple(f for f in dataclasses.fields(Plateau))
