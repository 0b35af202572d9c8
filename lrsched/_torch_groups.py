"""The param groups as ``ScheduleLR`` sees them: schedules given per group, one record per
group, and reading and writing a group's entries (``betas`` halves and tensors included)."""

from __future__ import annotations

import dataclasses
import numbers

import torch

from . import _validate as V
from ._fn import identities
from ._node import Schedule
from ._serialize import to_dict

_BETAS = {"beta1": 0, "beta2": 1}


def _per_group(name, spec, groups, cls):
    """One entry (an instance of ``cls`` or None) per param group, from one, a list or a dict."""
    n = len(groups)
    if isinstance(spec, cls):
        return [spec] * n
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(f"{name}: a list of {len(spec)} entries for {n} param groups")
        out = list(spec)
    elif isinstance(spec, dict):
        out = [None] * n
        names = {g.get("name"): i for i, g in enumerate(groups) if isinstance(g.get("name"), str)}
        for key, v in spec.items():
            if isinstance(key, bool) or not isinstance(key, (int, str)):
                raise TypeError(f"{name}[{V.show(key)}]: keys are param group indices or names")
            if isinstance(key, int):
                if not 0 <= key < n:
                    raise ValueError(f"{name}[{V.show(key)}]: no param group {key} (the optimizer has {n})")
                i = key
            else:
                if key not in names:
                    known = ", ".join(repr(k) for k in names) or "none"
                    raise ValueError(f"{name}[{V.show(key)}]: no param group with that name (names: {known})")
                i = names[key]
            if out[i] is not None:
                raise ValueError(f"{name}[{V.show(key)}]: param group {i} is given twice")
            out[i] = v
    else:
        what = cls.__name__
        raise TypeError(f"{name}={V.show(spec)}: expected a {what}, a list of them or a dict keyed by param group")
    for i, v in enumerate(out):
        if v is not None and not isinstance(v, cls):
            raise TypeError(f"{name} for param group {i}: expected a {cls.__name__} or None, got {type(v).__name__}")
    return out


@dataclasses.dataclass
class _Group:
    """What the scheduler does to one param group: the schedule of its ``key`` entry (None: left
    alone), that entry's initial value (``initial_lr``, ``initial_<key>``; None where none is
    kept), the plateau that scales it (an index into the plateaus, -1 for none) and the ``also``
    entries, each a schedule and its initial value."""

    schedule: Schedule | None
    base: float | None
    plateau: int = -1
    also: dict[str, tuple[Schedule, float | None]] = dataclasses.field(default_factory=dict)


def _check_entry(g, i, key, what="key"):
    """Param group ``i`` has a float entry ``key`` (``betas`` with two values for a beta)."""
    if key in _BETAS:
        b = g.get("betas")
        if not isinstance(b, (tuple, list)) or len(b) != 2:
            raise ValueError(f"{what}={V.show(key)}: param group {i} has no two-value 'betas' entry")
    elif key not in g:
        raise ValueError(f"{what}={V.show(key)}: param group {i} has no such entry (it has {', '.join(map(str, g))})")
    elif not isinstance(g[key], (numbers.Real, torch.Tensor)) or isinstance(g[key], bool):
        raise TypeError(f"{what}={V.show(key)}: param group {i} holds {V.show(g[key])}, not a float")


def _initial(g, i, key, relative, last_step):
    """The initial value of entry ``key`` of param group ``i``, kept in the group as PyTorch
    keeps ``"initial_lr"`` (set from the current value when absent on a fresh start)."""
    init_key = "initial_lr" if key == "lr" else f"initial_{key}"
    if init_key not in g:
        if last_step != -1 and relative:
            raise ValueError(
                f"last_step={last_step}: resuming with relative=True needs {V.show(init_key)} in "
                f"param group {i} (load the optimizer's state first)"
            )
        v = _read(g, key)
        g[init_key] = v.clone() if isinstance(v, torch.Tensor) else v
    return _float(g[init_key])


def _put(g, key, v):
    """Write ``v`` into entry ``key`` of group ``g`` (a tensor in place); the value written."""
    half = _BETAS.get(key)
    if half is None:
        cur = g[key]
        if isinstance(cur, torch.Tensor):
            cur.fill_(v)
            return cur.clone()
        g[key] = v
        return v
    b = g["betas"]
    if isinstance(b[half], torch.Tensor):
        b[half].fill_(v)
        return b[half].clone()
    g["betas"] = (v, b[1]) if half == 0 else (b[0], v)
    return v


def _read(group, key):
    if key in _BETAS:
        return group["betas"][_BETAS[key]]
    return group[key]


def _float(v) -> float:
    return float(v.item()) if isinstance(v, torch.Tensor) else float(v)


def _schedule_entry(s):
    if s is None:
        return None
    try:
        return to_dict(s)
    except (TypeError, ValueError):  # not data (an unregistered fn): its repr and its functions' identities
        ids = identities(s)
        return f"{s!r} [{', '.join(ids)}]" if ids else repr(s)
