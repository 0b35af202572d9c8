"""``to_dict`` / ``from_dict``: JSON-safe documents with an exact round trip, by node kinds or public names.

``from_dict`` looks node types up in a closed table of lrsched's own builders (plus functions
registered with :func:`lrsched.register`); it never imports, evaluates or unpickles anything.
"""

from __future__ import annotations

import difflib
import inspect
import math
import re
from typing import Any

from . import _combinators, _cycle, _primitives, _recipes, _stack
from . import _node as N
from . import _validate as V
from ._node import KINDS, Schedule

MAX_DEPTH = 100  # nesting bound for from_dict (dicts and lists): deeper documents are rejected, never recursed into
MAX_NODES = 10_000  # schedules in one document
MAX_ITEMS = 100_000  # values and list entries in one document (so from_dict stays well under a second)


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
    if isinstance(schedule, _stack.Stack):  # a batch: its members, as they were given
        return {"type": "stack", "schedules": [m._serialise() for m in schedule.schedules]}
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule={V.show(schedule)}: expected an lrsched.Schedule")
    return schedule._serialise()


# --------------------------------------------------------------------------------------------
# from_dict
# --------------------------------------------------------------------------------------------
# Public names a document may use besides the node kinds: lrsched's own builders, and each
# peer's mirrors as "<peer>.<name>" (a name in the __all__ of lrsched.compat.<peer>).
_PUBLIC = (
    "constant",
    "ramp",
    "linear",
    "cosine",
    "exponential",
    "inverse_time",
    "inverse_sqrt",
    "piecewise_constant",
    "piecewise_linear",
    "warmup",
    "join",
    "chain",
    "clip",
    "cycle",
    "shift",
    "per_epoch",
    "minimum",
    "maximum",
    "warmup_cosine",
    "warmup_linear",
    "wsd",
    "one_cycle",
    "sgdr",
    "cyclic",
    "noam",
    "tri_stage",
)
_PUBLIC_MODULES = (N, _primitives, _combinators, _cycle, _recipes)


def _public_builder(name):
    return next(getattr(m, name) for m in _PUBLIC_MODULES if hasattr(m, name))


def _peer_module(peer):
    """lrsched's own mirror module of ``peer`` (one of ``_PEERS``), imported on first use."""
    if peer == "torch":
        from .compat import torch as m
    elif peer == "optax":
        from .compat import optax as m
    elif peer == "transformers":
        from .compat import transformers as m
    elif peer == "keras":
        from .compat import keras as m
    elif peer == "timm":
        from .compat import timm as m
    elif peer == "fairseq":
        from .compat import fairseq as m
    else:
        from .compat import sklearn as m
    return m


# The peers whose mirrors a document may name as "<peer>.<name>": the name is checked against the
# __all__ of lrsched's own module lrsched.compat.<peer> (imported for it, never the peer library).
_PEERS = ("torch", "optax", "transformers", "keras", "timm", "fairseq", "sklearn")
# Arguments that take a plain dict (no "type"): a step -> value mapping, whose keys are whole
# numbers written as strings, or a dict of keyword arguments with string keys.
_STEP_MAPPINGS = frozenset({"scales", "points", "boundaries_and_scales"})
_KEYWORD_DICTS = frozenset({"cosine_kwargs", "scheduler_specific_kwargs"})
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")


def from_dict(data: dict) -> Schedule:
    """Build a schedule from a document: :func:`to_dict` data, or one written by public names.

    A document is ``{"type": NAME, ...}`` with that builder's own arguments by name. ``NAME`` is
    a node kind that :func:`to_dict` writes, a public builder of ``lrsched`` (``"cosine"``,
    ``"warmup_cosine"``, ``"join"`` with nested documents, ...), or a peer's mirror as
    ``"<peer>.<name>"`` (``"torch.cosine_annealing_lr"``, ``"optax.warmup_cosine_decay_schedule"``).
    A step -> value mapping (``scales``, ``points``, ``boundaries_and_scales``) may be a JSON
    object whose keys are the steps as strings. See ``docs/configs.md``.

    Every node is built through its public builder, so every check of the builders applies.
    Unknown types and bad fields raise :class:`ValueError` (or :class:`TypeError`) naming the
    field, with a "did you mean" suggestion where one is close; nothing is imported (beyond
    lrsched's own ``lrsched.compat.<peer>`` for a peer's name), evaluated or unpickled.

    Example:
        >>> import lrsched
        >>> lrsched.from_dict({"type": "ramp", "start": 1.0, "end": 0.0, "steps": 10, "shape": "linear"})
        linear(1.0, 0.0, 10)
        >>> lrsched.from_dict({"type": "torch.step_lr", "step_size": 30, "gamma": 0.5, "lr": 0.1})
        exponential(0.1, 0.5, 30, staircase=True)
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
    if kind is None:
        raise ValueError(f"{where}.type=None: missing 'type', which names the schedule ({_known()})")
    builder, public = _lookup(kind, where)
    params = _signature(builder).parameters
    open_keywords = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    kwargs = {}
    for n, v in d.items():
        if n == "type":
            continue
        known = isinstance(n, str) and n in params and params[n].kind is not inspect.Parameter.VAR_KEYWORD
        if not known and not (open_keywords and isinstance(n, str)):
            fields = [p for p in params if params[p].kind is not inspect.Parameter.VAR_KEYWORD]
            raise ValueError(
                f"{where}.{_short(n)}: unknown field of type {V.show(kind)}{_suggest(n, fields)}"
                f" (its fields: {', '.join(fields)})"
            )
        kwargs[n] = _decode_value(v, f"{where}.{n}", depth, counter, n)
    try:
        args: Any = ()
        for n in [n for n in kwargs if n in params and params[n].kind is inspect.Parameter.VAR_POSITIONAL]:
            args = kwargs.pop(n)  # chain(*schedules): the list, spread
            args = args if isinstance(args, list) else [args]
        out = builder(*args, **kwargs)
    except (ValueError, TypeError) as e:
        raise type(e)(f"{where} ({kind}): {e}") from None
    except Exception as e:  # anything else a builder meets (overflow, recursion): still a bad document
        raise ValueError(f"{where} ({kind}): {type(e).__name__}: {e}") from None
    if public and not isinstance(out, Schedule):
        raise ValueError(
            f"{where}.type={V.show(kind)}: builds a {type(out).__name__}, not a schedule, so a document cannot name it"
        )
    return out


def _lookup(kind, where):
    """``(builder, public)`` for a type name; ``public`` when it is a public builder, whose result
    must still be checked to be a schedule."""
    if isinstance(kind, str):
        if kind in KINDS:
            return KINDS[kind].build(), False
        if kind == "stack":
            return _stack.stack, False
        if kind in _PUBLIC:
            return _public_builder(kind), True
        peer, dot, name = kind.partition(".")
        if dot and peer in _PEERS and name.isidentifier():
            module = _peer_module(peer)  # lrsched's own, from the fixed table
            if name in module.__all__:
                return getattr(module, name), True
            qualified = [f"{peer}.{n}" for n in module.__all__]
            raise ValueError(
                f"{where}.type={_short(kind)}: unknown schedule type{_suggest(kind, qualified)}"
                f" (known {peer} types: {', '.join(qualified)})"
            )
    raise ValueError(f"{where}.type={_short(kind)}: unknown schedule type{_suggest(kind, _own_names())} ({_known()})")


def _own_names() -> list[str]:
    return sorted(set(KINDS) | {"stack"} | set(_PUBLIC))


def _known() -> str:
    peers = ", ".join(_PEERS)
    return f"known types: {', '.join(_own_names())}; and '<peer>.<name>' for a name in the __all__ of lrsched.compat.<peer>, peer one of {peers}"


def _suggest(given, names) -> str:
    """ "; did you mean ...?" for the names closest to ``given``, or nothing."""
    if not isinstance(given, str) or len(given) > 100:
        return ""
    close = difflib.get_close_matches(given, names, n=3)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


_SIGS: dict[Any, inspect.Signature] = {}


def _signature(builder) -> inspect.Signature:
    sig = _SIGS.get(builder)
    if sig is None:
        sig = _SIGS[builder] = inspect.signature(builder)
    return sig


_BIG = 2**1024  # past every float: no field of a schedule takes an int this large


def _decode_value(v, where, depth, counter, param=None):
    counter[1] += 1
    if counter[1] > MAX_ITEMS:
        raise ValueError(f"{where}: more than {MAX_ITEMS} values in one document")
    if isinstance(v, dict):
        if "type" not in v and param in _STEP_MAPPINGS:
            return _decode_mapping(v, where, depth + 1, counter, steps=True)
        if "type" not in v and param in _KEYWORD_DICTS:
            return _decode_mapping(v, where, depth + 1, counter, steps=False)
        return _decode_node(v, where, depth + 1, counter)
    if isinstance(v, list):
        if depth >= MAX_DEPTH:
            raise ValueError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
        if len(v) > MAX_ITEMS:
            raise ValueError(f"{where}: list longer than {MAX_ITEMS}")
        inner = param if param in _KEYWORD_DICTS else None  # optax's cosine_kwargs: a list of dicts
        return [_decode_value(x, f"{where}[{i}]", depth + 1, counter, inner) for i, x in enumerate(v)]
    if isinstance(v, int) and not isinstance(v, bool) and not -_BIG < v < _BIG:
        raise ValueError(f"{where}={_short(v)}: too large for any field")
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError(f"{where}={V.show(v)}: must be finite")
        return v
    raise TypeError(f"{where}={_short(v)}: expected JSON data, got {type(v).__name__}")


def _decode_mapping(d, where, depth, counter, *, steps):
    """A plain dict argument: ``{step: value}`` from whole-number string keys (``steps=True``),
    or keyword arguments by string keys."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nesting deeper than {MAX_DEPTH} levels")
    if len(d) > MAX_ITEMS:
        raise ValueError(f"{where}: more than {MAX_ITEMS} entries")
    out: dict[Any, Any] = {}
    for key, v in d.items():
        if not isinstance(key, str):
            raise TypeError(f"{where}: key {_short(key)} must be a string")
        if steps:
            if not _WHOLE.fullmatch(key):
                raise ValueError(f"{where}[{_short(key)}]: a step key must be a whole number written as a string")
            at = f"{where}[{key}]"
            out[int(key)] = _decode_value(v, at, depth, counter)
        else:
            at = f"{where}.{key}" if key.isidentifier() else f"{where}[{_short(key)}]"
            out[key] = _decode_value(v, at, depth, counter)
    return out


def _short(v) -> str:
    return V.show(v, 60, opaque=True)
