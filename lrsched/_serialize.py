"""``to_dict`` / ``from_dict`` (JSON-safe, exact round trip) and the call-like ``repr``.

``from_dict`` looks node types up in a closed table of lrsched's own builders (plus functions
registered with :func:`lrsched.register`); it never imports, evaluates or unpickles anything.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

from . import _validate as V
from ._schedule import _BUILDERS, Schedule

MAX_DEPTH = 100  # nesting bound for from_dict (dicts and lists): deeper documents are rejected, never recursed into
MAX_NODES = 10_000  # schedules in one document
MAX_ITEMS = 100_000  # values and list entries in one document (so from_dict stays well under a second)


# --------------------------------------------------------------------------------------------
# repr
# --------------------------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, Schedule):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if callable(v) and not isinstance(v, type):
        return getattr(v, "__qualname__", None) or repr(v)
    return repr(v)


_SIGS: dict[Any, inspect.Signature] = {}


def _defaults(builder) -> dict[str, Any]:
    sig = _SIGS.get(builder)
    if sig is None:
        sig = _SIGS[builder] = inspect.signature(builder)
    return {n: p.default for n, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


def call_repr(s: Schedule) -> str:
    """A repr that reads like the call that built ``s``."""
    from . import _combinators as C
    from . import _primitives as P

    if isinstance(s, P.Constant):
        return f"constant({_fmt(s.value)})"
    if isinstance(s, C.BinOp):
        a, b = (_operand_repr(x) for x in (s.a, s.b))
        sym = C._OPS[s.op][1]
        if sym and isinstance(s.a, P.Constant) and isinstance(s.b, P.Constant):
            a = repr(s.a)  # two plain numbers would evaluate to a number, not to this node
        return f"({a} {sym} {b})" if sym else f"{s.op}({a}, {b})"
    if hasattr(s, "_repr_call"):
        name, args = s._repr_call()
    else:
        name, args = s._kind, s._args()
    if "*" in args:
        return f"{name}(" + ", ".join(_fmt(x) for x in args["*"]) + ")"
    builder = getattr(_public(), name, None)
    defaults = _defaults(builder) if builder is not None else {}
    parts = []
    for i, (n, v) in enumerate(args.items()):
        if i < s._npos:
            parts.append(_fmt(v))
        elif n not in defaults or not _equal_default(v, defaults[n]):
            parts.append(f"{n}={_fmt(v)}")
    return f"{name}({', '.join(parts)})"


def _equal_default(v, d) -> bool:
    if type(v) is float or type(d) is float:
        return (
            isinstance(v, (int, float)) and isinstance(d, (int, float)) and float(v) == float(d) and type(v) is not bool
        )
    return v is d or (type(v) is type(d) and v == d)


def _operand_repr(x) -> str:
    from ._primitives import Constant

    if isinstance(x, Constant):
        return _fmt(x.value)
    return repr(x)


def _public():
    import lrsched

    return lrsched


# --------------------------------------------------------------------------------------------
# to_dict
# --------------------------------------------------------------------------------------------
def to_dict(schedule: Schedule) -> dict:
    """The schedule as JSON-safe data (dicts, lists, strings, ints, floats, None, bools).

    ``from_dict(to_dict(s)) == s`` and the rebuilt schedule gives identical values.

    Example:
        >>> import json, lrsched
        >>> s = lrsched.warmup_cosine(1.0, 100, 10)
        >>> d = lrsched.to_dict(s)
        >>> d["type"], d["steps"]
        ('warmup', 10)
        >>> lrsched.from_dict(json.loads(json.dumps(d))) == s
        True
    """
    from ._stack import Stack

    if isinstance(schedule, Stack):  # a batch: its members, as they were given
        return {"type": "stack", "schedules": [_encode_node(m) for m in schedule.schedules]}
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule={V.show(schedule)}: expected an lrsched.Schedule")
    return _encode_node(schedule)


def _encode_node(s: Schedule) -> dict:
    from ._fn import Fn, registered_name

    if isinstance(s, Fn):
        return {"type": "fn", "f": registered_name(s)}
    out: dict[str, Any] = {"type": s._kind}
    for n, v in s._args().items():
        out[n] = _encode(n, v)
    return out


def _encode(name, v):
    if isinstance(v, Schedule):
        return _encode_node(v)
    if isinstance(v, (list, tuple)):
        return [_encode(name, x) for x in v]
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if type(v) is float:
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={V.show(v)}: only schedules with scalar float values serialise") from None
    return f


# --------------------------------------------------------------------------------------------
# from_dict
# --------------------------------------------------------------------------------------------
def from_dict(data: dict) -> Schedule:
    """Rebuild a schedule from :func:`to_dict` data.

    Every node is rebuilt through its public builder, so every check of the builders applies.
    Unknown types and bad fields raise :class:`ValueError` (or :class:`TypeError`) naming the
    field; nothing is imported, evaluated or unpickled.

    Example:
        >>> import lrsched
        >>> lrsched.from_dict({"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10, "shape": "linear"})
        linear(1.0, 0.0, 10)
    """
    counter = [0, 0]  # nodes, items
    return _decode_node(data, "schedule", 0, counter)


def _decode_node(d, where, depth, counter) -> Schedule:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise ValueError(f"{where}: more than {MAX_NODES} schedules in one document")
    if not isinstance(d, dict):
        raise TypeError(f"{where}={_short(d)}: expected a dict with a 'type' field")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in _BUILDERS:
        known = ", ".join(sorted(_BUILDERS))
        raise ValueError(f"{where}.type={_short(kind)}: unknown schedule type (known types: {known})")
    builder = _BUILDERS[kind]
    params = _signature(builder).parameters
    kwargs = {}
    for n, v in d.items():
        if n == "type":
            continue
        if not isinstance(n, str) or n not in params or params[n].kind is inspect.Parameter.VAR_KEYWORD:
            if kind == "ramp" and isinstance(n, str):
                kwargs[n] = _decode_value(v, f"{where}.{n}", depth, counter)
                continue
            fields = ", ".join(p for p in params if params[p].kind is not inspect.Parameter.VAR_KEYWORD)
            raise ValueError(f"{where}.{_short(n)}: unknown field of type {V.show(kind)} (its fields: {fields})")
        kwargs[n] = _decode_value(v, f"{where}.{n}", depth, counter)
    try:
        return builder(**kwargs)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{where} ({kind}): {e}") from None
    except Exception as e:  # anything else a builder meets (overflow, recursion): still a bad document
        raise ValueError(f"{where} ({kind}): {type(e).__name__}: {e}") from None


def _signature(builder) -> inspect.Signature:
    sig = _SIGS.get(builder)
    if sig is None:
        sig = _SIGS[builder] = inspect.signature(builder)
    return sig


_BIG = 2**1024  # past every float: no field of a schedule takes an int this large


def _decode_value(v, where, depth, counter):
    counter[1] += 1
    if counter[1] > MAX_ITEMS:
        raise ValueError(f"{where}: more than {MAX_ITEMS} values in one document")
    if isinstance(v, dict):
        return _decode_node(v, where, depth + 1, counter)
    if isinstance(v, list):
        if depth >= MAX_DEPTH:
            raise ValueError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
        if len(v) > MAX_ITEMS:
            raise ValueError(f"{where}: list longer than {MAX_ITEMS}")
        return [_decode_value(x, f"{where}[{i}]", depth + 1, counter) for i, x in enumerate(v)]
    if isinstance(v, int) and not isinstance(v, bool) and not -_BIG < v < _BIG:
        raise ValueError(f"{where}={_short(v)}: too large for any field")
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{where}={V.show(v)}: must be finite")
        return v
    raise TypeError(f"{where}={_short(v)}: expected JSON data, got {type(v).__name__}")


def _short(v) -> str:
    return V.show(v, 60, opaque=True)
