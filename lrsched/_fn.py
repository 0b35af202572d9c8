"""User functions as schedules: ``fn`` wraps a ``step -> value`` callable, ``register`` names it
so that ``to_dict``/``from_dict`` can carry it (by name only: nothing is imported from data)."""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable

from . import _validate as V
from ._node import Schedule
from ._once import outside

_REGISTRY: dict[str, Callable] = {}


class Fn(Schedule, kind="fn", builder="fn_from_dict"):
    _static = ("f", "name")
    _npos = 1

    def _eval(self, k, xp):
        return outside(self.f, k)

    def _first(self):
        return None  # building a schedule never calls a user function

    def _serialise(self):
        return {"type": "fn", "f": registered_name(self)}


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
        raise TypeError(f"f={V.show(f)}: expected a callable")
    if name is None:
        name = next((n for n, g in _REGISTRY.items() if g is f), None)
    elif not isinstance(name, str):
        raise TypeError(f"name={V.show(name)}: expected a string")
    elif name in _REGISTRY and _REGISTRY[name] is not f:
        raise ValueError(
            f"name={V.show(name)}: registered to {V.show(_REGISTRY[name])}, not to f={V.show(f)}; "
            "register f under a name of its own"
        )
    return Fn._make(f=f, name=name)


def registered_name(s: Fn) -> str:
    """The name ``s`` serialises under: one registered to ``s.f`` itself, else ``ValueError``."""
    name = s.name
    if name is None or _REGISTRY.get(name) is not s.f:
        named = "" if name is None else f" (name={V.show(name)} is not registered to it)"
        raise ValueError(f"f={V.show(s.f)}: a fn schedule serialises only after lrsched.register(name){named}")
    return name


def identities(s: Schedule) -> list[str]:
    """A fingerprint of each user function in ``s`` (see :func:`identity`), in tree order."""
    out, todo = [], [s]
    while todo:
        node = todo.pop()
        if isinstance(node, Fn):
            out.append(identity(node.f))
        todo.extend(reversed(node._child_nodes()))
    return out


def identity(f) -> str:
    """A fingerprint of a function that tells two functions apart and is the same in every
    process: its qualified name, its code (with file and line), the values it closes over or
    takes as defaults, and (for a callable object) the functions it holds."""
    h = hashlib.sha256()
    _feed(h, f, 3)
    qualname = getattr(f, "__qualname__", None) or type(f).__qualname__
    return f"{qualname}@{h.hexdigest()[:16]}"


def _feed(h, f, depth) -> None:
    qualname = getattr(f, "__qualname__", None) or type(f).__qualname__
    h.update(f"{getattr(f, '__module__', None) or type(f).__module__}.{qualname};".encode())
    code = getattr(f, "__code__", None)
    if code is not None:
        h.update(marshal.dumps(code))
        cells = [c.cell_contents for c in (getattr(f, "__closure__", None) or ()) if _filled(c)]
        for v in (*cells, *(getattr(f, "__defaults__", None) or ())):
            if callable(v) and depth > 0:
                _feed(h, v, depth - 1)
            else:
                h.update(V.show(v, 200, opaque=True).encode())
    elif depth > 0:  # a callable object: the functions it holds
        for n, v in sorted(getattr(f, "__dict__", {}).items()):
            if callable(v):
                h.update(n.encode())
                _feed(h, v, depth - 1)


def _filled(cell) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # a cell not assigned yet
        return False
    return True


def fn_from_dict(f, name=None):
    """The ``fn`` schedule of a document: ``f`` is the registered name, looked up, never imported
    (``name``, where a document gives it, is that same name)."""
    if name is not None and name != f:
        raise ValueError(f"name={V.show(name)}: a fn document's name is its f={V.show(f)}")
    if not isinstance(f, str) or f not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none registered"
        raise ValueError(f"f={V.show(f)}: not a registered function name (known: {V.show(known, 200)})")
    return fn(_REGISTRY[f], name=f)


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
        raise TypeError(f"name={V.show(name)}: expected a non-empty string")

    def deco(f):
        if not callable(f):
            raise TypeError(f"f={V.show(f)}: expected a callable")
        if name in _REGISTRY and _REGISTRY[name] is not f:
            raise ValueError(f"name={V.show(name)}: already registered to {V.show(_REGISTRY[name])}")
        _REGISTRY[name] = f
        return f

    return deco
