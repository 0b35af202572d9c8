"""User functions as schedules: ``fn`` wraps a ``step -> value`` callable, ``register`` names it
so that ``to_dict``/``from_dict`` can carry it (by name only: nothing is imported from data)."""

from __future__ import annotations

from collections.abc import Callable

from ._schedule import Schedule, register_node

_REGISTRY: dict[str, Callable] = {}


class Fn(Schedule):
    _static = ("f", "name")
    _kind = "fn"
    _npos = 1

    def _eval(self, k, xp):
        return self.f(k)

    def _args(self):
        return {"f": self.f, "name": self.name}


def fn(f, *, name=None) -> Schedule:
    """Wrap your own ``step -> value`` function as a schedule.

    ``f`` receives a Python number, a NumPy array or a JAX array (steps clamped at 0) and should
    handle all three to work everywhere. It is serialisable by :func:`~lrsched.to_dict` only
    after :func:`~lrsched.register`.

    Example:
        >>> import lrsched
        >>> s = lrsched.fn(lambda k: 1.0 / (1 + k))
        >>> s(3)
        0.25
    """
    if not callable(f):
        raise TypeError(f"f={f!r}: expected a callable")
    if name is None:
        name = next((n for n, g in _REGISTRY.items() if g is f), None)
    elif not isinstance(name, str):
        raise TypeError(f"name={name!r}: expected a string")
    return Fn._make(f=f, name=name)


def _fn_from_dict(f, name=None):
    # from_dict passes the registered name as ``f``; it is looked up, never imported.
    if not isinstance(f, str) or f not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise ValueError(f"f={f!r}: not a registered function name (known: {known})")
    return fn(_REGISTRY[f], name=f)


register_node(Fn, _fn_from_dict)


def register(name: str):
    """Register a ``step -> value`` function under ``name`` so ``fn`` schedules built on it serialise.

    Use as a decorator; returns the function unchanged.

    Example:
        >>> import lrsched
        >>> @lrsched.register("halving")
        ... def halving(k):
        ...     return 0.5 ** (k // 10)
        >>> lrsched.from_dict(lrsched.to_dict(lrsched.fn(halving)))(25)
        0.25
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name={name!r}: expected a non-empty string")

    def deco(f):
        if not callable(f):
            raise TypeError(f"f={f!r}: expected a callable")
        if name in _REGISTRY and _REGISTRY[name] is not f:
            raise ValueError(f"name={name!r}: already registered to {_REGISTRY[name]!r}")
        _REGISTRY[name] = f
        return f

    return deco
