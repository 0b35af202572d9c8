"""SPEC -> Schedule: a JSON or YAML file holding a :func:`lrsched.to_dict` document, that document
inline, or a recipe name (``warmup_cosine``, ``wsd``, ... or a peer's ``torch.cosine_annealing_lr``)
whose arguments come from ``--set key=value``. Bad input raises :class:`SpecError`."""

from __future__ import annotations

import inspect
import json
import math
import os
import re

# public builders whose arguments are all plain data, so ``--set`` can give every one of them
RECIPES = (
    "warmup_cosine", "warmup_linear", "wsd", "one_cycle", "sgdr", "cyclic", "noam", "tri_stage",
    "constant", "linear", "cosine", "ramp", "exponential", "inverse_time", "inverse_sqrt",
    "piecewise_constant", "piecewise_linear",
)  # fmt: skip
PEERS = ("torch", "optax", "transformers", "keras", "timm", "fairseq", "sklearn")


class SpecError(Exception):
    """A SPEC or an option that cannot be used; the message is shown as one line."""


_NAME = re.compile(r"^(?:(?:compat\.)?([a-z_]+)\.)?([a-z_][a-z0-9_]*)$")


def parse_set(items) -> dict:
    """``["peak=1e-3", "anneal=linear"]`` -> ``{"peak": 0.001, "anneal": "linear"}`` (JSON values,
    ``True``/``False``/``None`` too; anything else is a string)."""
    out: dict = {}
    for item in items or ():
        key, eq, raw = item.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise SpecError(f"--set {item!r}: expected key=value")
        if key in out:
            raise SpecError(f"--set {key}: given twice")
        raw = raw.strip()
        py = {"True": True, "False": False, "None": None}
        if raw in py:
            out[key] = py[raw]
            continue
        try:
            v = json.loads(raw)
        except ValueError:
            v = raw
        if isinstance(v, float) and not math.isfinite(v):
            raise SpecError(f"--set {key}={raw}: must be finite")
        out[key] = v
    return out


def _recipe(name: str):
    """The builder a recipe name refers to, or raise :class:`SpecError`."""
    import importlib

    import lrsched

    m = _NAME.match(name)
    if m is None:
        raise SpecError(f"SPEC={name!r}: not a JSON file, inline JSON or a recipe name")
    peer, fname = m.groups()
    if peer is None:
        if fname in RECIPES:
            return getattr(lrsched, fname)
        raise SpecError(
            f"SPEC={name!r}: unknown recipe{_did_you_mean(fname, RECIPES)} "
            f"(recipes: {', '.join(RECIPES)}; or a peer's, as torch.step_lr)"
        )
    if peer not in PEERS:
        raise SpecError(f"SPEC={name!r}: unknown peer {peer!r} (peers: {', '.join(PEERS)})")
    try:
        mod = importlib.import_module(f"lrsched.compat.{peer}")
    except ModuleNotFoundError as e:
        if e.name != f"lrsched.compat.{peer}":
            raise
        raise SpecError(f"SPEC={name!r}: lrsched.compat.{peer} is not available") from None
    public = getattr(mod, "__all__", None)
    if public is None:
        public = [n for n, f in vars(mod).items() if inspect.isfunction(f) and f.__module__ == mod.__name__]
    public = [n for n in public if not n.startswith("_")]
    if fname not in public:
        raise SpecError(
            f"SPEC={name!r}: not in lrsched.compat.{peer}{_did_you_mean(fname, public)} "
            f"(it has: {', '.join(sorted(public))})"
        )
    return getattr(mod, fname)


def _did_you_mean(word, options) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``options`` (difflib's ratio), else ``""``."""
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _check_keys(name, f, kwargs) -> None:
    """Unknown ``--set`` keys are reported by name (with the closest argument) before anything
    is reported missing: a misspelt required key is a typo, not an omission."""
    params = inspect.signature(f).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    names = [n for n, p in params.items() if p.kind is not p.VAR_POSITIONAL]
    for key in kwargs:
        if key not in names:
            raise SpecError(
                f"--set {key}: not an argument of {name}{_did_you_mean(key, names)} (arguments: {_signature(f)})"
            )


def _load_json(text, where):
    try:
        return json.loads(text)
    except ValueError as e:
        raise SpecError(f"{where}: not valid JSON ({e})") from None


def _load_yaml(text, where):
    try:
        import yaml
    except ImportError:
        raise SpecError(
            f"{where}: reading YAML needs PyYAML (pip install pyyaml); or write the document as JSON"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise SpecError(f"{where}: not valid YAML ({' '.join(str(e).split())})") from None


_FLOAT_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _yaml_number_hint(doc) -> str:
    """PyYAML follows YAML 1.1, where ``3e-5`` (no dot) is a string, not a number: name such values."""
    found: list[str] = []
    todo = [doc]
    while todo and len(found) < 3:
        x = todo.pop()
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list):
            todo.extend(x)
        elif isinstance(x, str) and _FLOAT_TEXT.match(x):
            found.append(x)
    if not found:
        return ""
    fixed = re.sub(r"^([+-]?\d+)([eE])", r"\1.0\2", found[0])
    return f" (YAML reads {', '.join(repr(f) for f in found)} as text, not a number: write a decimal point, as {fixed})"


def _signature(f) -> str:
    parts = []
    for p in inspect.signature(f).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            parts.append(f"**{p.name}")
        elif p.kind is not p.VAR_POSITIONAL:
            parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}")
    return ", ".join(parts)


def load_spec(spec: str, sets=None):
    """A :class:`lrsched.Schedule` from a SPEC (JSON file, inline JSON or recipe name) and ``--set``
    items; raises :class:`SpecError` with a one-line message on any bad input."""
    import lrsched

    kwargs = parse_set(sets)
    text, yaml = None, False
    if spec.lstrip().startswith("{"):
        text, where = spec, "inline JSON"
    elif spec.endswith((".json", ".yaml", ".yml")) or os.sep in spec or (spec not in RECIPES and os.path.isfile(spec)):
        try:
            with open(spec, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise SpecError(f"SPEC={spec!r}: cannot read it ({e.strerror or e})") from None
        where, yaml = spec, spec.endswith((".yaml", ".yml"))
    if text is not None:
        if kwargs:
            raise SpecError("--set applies to a recipe name; edit the document instead")
        doc = _load_yaml(text, where) if yaml else _load_json(text, where)
        try:
            s = lrsched.from_dict(doc)
        except (ValueError, TypeError, RecursionError) as e:
            hint = _yaml_number_hint(doc) if yaml else ""
            raise SpecError(f"{where}: {e}{hint}") from None
    else:
        f = _recipe(spec)
        _check_keys(spec, f, kwargs)
        try:
            inspect.signature(f).bind(**kwargs)
        except TypeError as e:
            raise SpecError(f"{spec}: {e} (arguments: {_signature(f)})") from None
        try:
            s = f(**kwargs)
        except (ValueError, TypeError, ArithmeticError) as e:
            raise SpecError(f"{spec}: {e}") from None
    if not isinstance(s, lrsched.Schedule):
        raise SpecError(f"SPEC={spec!r}: gives a {type(s).__name__}, not a schedule")
    return s
