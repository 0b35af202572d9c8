"""``ScheduleLR``: the PyTorch scheduler that writes ``schedule(k)`` into param groups (see
:mod:`lrsched.torch`, which re-exports it)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

try:
    import torch
    from torch.optim.lr_scheduler import LRScheduler
except ImportError as e:  # the adapter is an optional extra
    raise ImportError(f"lrsched.torch needs PyTorch: pip install 'lrsched[torch]' ({e})") from e

from . import _validate as V
from ._fn import identities
from ._plateau import Plateau, PlateauState, state_from_data
from ._schedule import Schedule
from ._serialize import to_dict

_STATE_FIELDS = {"scale": float, "best": float, "num_bad": int, "cooldown_left": int, "level": float}
_BETAS = {"beta1": 0, "beta2": 1}


def _per_group(name, spec, groups, cls, *, allow_single=True):
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


class ScheduleLR(LRScheduler):
    """Write ``schedule(k)`` into an optimizer's param groups for update ``k``.

    After construction the groups hold ``schedule(last_step + 1)`` (``schedule(0)`` by default),
    the value the first ``optimizer.step()`` uses; each ``step()`` moves to the next update.
    Call it after ``optimizer.step()``, as every PyTorch scheduler.

    Values are written, never read back: a float entry is replaced, a tensor entry (such as
    ``lr=torch.tensor(0.1)``) is filled in place and stays the same tensor. The schedule is
    evaluated on a Python int, plain arithmetic, so a step costs microseconds.

    Args:
        optimizer: a ``torch.optim.Optimizer``.
        schedule: one :class:`~lrsched.Schedule` for every param group, a list (one per group,
            ``None`` leaves a group alone), or a dict keyed by group index or by the group's
            ``"name"`` (groups not in it are left alone).
        key: the group entry to drive: ``"lr"``, ``"momentum"``, ``"weight_decay"``, ``"beta1"``
            or ``"beta2"`` (the halves of ``betas``), or any other float entry.
        relative: multiply each group's initial value by the schedule. The initial value is
            kept in the group as ``"initial_lr"`` (``"initial_<key>"`` for other keys), set from
            the group's value when it is absent, as PyTorch does.
        plateau: a :class:`~lrsched.Plateau` fed by ``step(metric)``; the written value is
            ``plateau.apply(state, value)``, that is ``value * state.scale``. One plateau
            (one state) for all groups, or a list/dict per group like ``schedule``.
        last_step: the last update already done, for resuming (``-1``: a fresh start). With
            ``relative=True`` a resume needs the initial values in the groups (load the
            optimizer's state first).

    Example:
        >>> import torch, lrsched
        >>> from lrsched.torch import ScheduleLR
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
        >>> sched = ScheduleLR(opt, lrsched.warmup_cosine(0.1, 100, 10))
        >>> opt.param_groups[0]["lr"]
        0.0
        >>> for _ in range(10):
        ...     opt.step()
        ...     sched.step()
        >>> sched.last_epoch, sched.get_last_lr()
        (10, [0.1])
    """

    def __init__(self, optimizer, schedule, *, key="lr", relative=False, plateau=None, last_step=-1):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer={V.show(optimizer)}: expected a torch.optim.Optimizer")
        if not isinstance(key, str):
            raise TypeError(f"key={V.show(key)}: expected a string")
        if not isinstance(relative, bool):
            raise TypeError(f"relative={V.show(relative)}: expected a bool")
        if isinstance(last_step, bool) or not isinstance(last_step, numbers.Integral):
            raise TypeError(f"last_step={V.show(last_step)}: expected a Python int")
        last_step = int(last_step)
        if last_step < -1:
            raise ValueError(f"last_step={V.show(last_step)}: must be >= -1")
        self.optimizer = optimizer
        groups = optimizer.param_groups
        self._schedules = _per_group("schedule", schedule, groups, Schedule)
        self.key = key
        self.relative = relative
        for i, (g, s) in enumerate(zip(groups, self._schedules)):
            if s is None:
                continue
            if key in _BETAS:
                b = g.get("betas")
                if not isinstance(b, (tuple, list)) or len(b) != 2:
                    raise ValueError(f"key={V.show(key)}: param group {i} has no two-value 'betas' entry")
            elif key not in g:
                raise ValueError(
                    f"key={V.show(key)}: param group {i} has no such entry (it has {', '.join(map(str, g))})"
                )
            elif not isinstance(g[key], (numbers.Real, torch.Tensor)) or isinstance(g[key], bool):
                raise TypeError(f"key={V.show(key)}: param group {i} holds {V.show(g[key])}, not a float")

        # The initial values, as PyTorch keeps "initial_lr": set when absent on a fresh start.
        init_key = "initial_lr" if key == "lr" else f"initial_{key}"
        base: list[Any] = []
        for i, (g, s) in enumerate(zip(groups, self._schedules)):
            if key == "lr" or (relative and s is not None):
                if init_key not in g:
                    if last_step != -1 and relative and s is not None:
                        raise ValueError(
                            f"last_step={last_step}: resuming with relative=True needs {V.show(init_key)} in "
                            f"param group {i} (load the optimizer's state first)"
                        )
                    v = _read(g, key)
                    g[init_key] = v.clone() if isinstance(v, torch.Tensor) else v
                base.append(_float(g[init_key]))
            else:
                base.append(None)
        self.base_lrs = base

        self._plateaus: list[Plateau] = []
        self._plateau_index = [-1] * len(groups)
        if plateau is not None:
            if isinstance(plateau, Plateau):
                self._plateaus = [plateau]
                self._plateau_index = [0 if s is not None else -1 for s in self._schedules]
            else:
                per = _per_group("plateau", plateau, groups, Plateau)
                for i, p in enumerate(per):
                    if p is not None:
                        self._plateau_index[i] = len(self._plateaus)
                        self._plateaus.append(p)
        self._states: list[PlateauState] = [p.init() for p in self._plateaus]

        self._last_lr: list[Any] = []
        self._step_count = 1  # as after PyTorch's initial step
        self.last_epoch = last_step + 1
        self._write()

    # -- writing ------------------------------------------------------------------------------
    def _values(self, k):
        """The value of every group at update ``k`` (``None`` for a group left alone)."""
        out = []
        states, plateaus, rel = self._states, self._plateaus, self.relative
        prev, raw = None, 0.0
        for s, b, pi in zip(self._schedules, self.base_lrs, self._plateau_index):
            if s is None:
                out.append(None)
                continue
            if s is not prev:  # one schedule shared by the groups is evaluated once
                raw = s(k)
                if type(raw) is not float:
                    raw = float(raw)
                prev = s
            v = b * raw if rel else raw
            if pi >= 0:
                st = states[pi]
                v = st.level if v == plateaus[pi].base else v * st.scale  # Plateau.apply, inlined
            out.append(v)
        return out

    def _write(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self._schedules):
            raise RuntimeError(
                f"the optimizer has {len(groups)} param groups; this scheduler was built for {len(self._schedules)}"
            )
        key = self.key
        half = _BETAS.get(key)
        last = []
        for g, v in zip(groups, self._values(self.last_epoch)):
            if v is None:
                cur = _read(g, key) if (half is not None or key in g) else None
                last.append(cur.clone() if isinstance(cur, torch.Tensor) else cur)
            elif half is None:
                cur = g[key]
                if isinstance(cur, torch.Tensor):
                    cur.fill_(v)
                    last.append(cur.clone())
                else:
                    g[key] = v
                    last.append(v)
            else:
                b = g["betas"]
                if isinstance(b[half], torch.Tensor):
                    b[half].fill_(v)
                    last.append(b[half].clone())
                else:
                    g["betas"] = (v, b[1]) if half == 0 else (b[0], v)
                    last.append(v)
        self._last_lr = last

    # -- the LRScheduler interface ------------------------------------------------------------
    def step(self, metric=None) -> None:
        """Move to the next update and write its value; feed ``metric`` to the plateau first.

        Args:
            metric: the monitored value (a number or a 0-d tensor), only with a plateau.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = ScheduleLR(opt, lrsched.constant(0.1), plateau=lrsched.Plateau(0.5, 0))
            >>> for loss in [1.0, 2.0]:
            ...     sched.step(loss)
            >>> sched.get_last_lr()
            [0.05]
        """
        if metric is not None:
            self._feed(metric)
        self._step_count += 1
        self.last_epoch += 1
        self._write()

    def observe(self, metric) -> None:
        """Feed ``metric`` to the plateau and rewrite the current value, without advancing.

        For a per-update schedule with a metric measured less often (say, once an epoch).

        Args:
            metric: the monitored value.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = ScheduleLR(opt, lrsched.constant(0.1), plateau=lrsched.Plateau(0.5, 0))
            >>> sched.observe(1.0); sched.observe(2.0)
            >>> sched.last_epoch, opt.param_groups[0]["lr"]
            (0, 0.05)
        """
        if metric is None:
            raise TypeError("metric=None: expected a number")
        self._feed(metric)
        self._write()

    def _feed(self, metric):
        if not self._plateaus:
            raise ValueError(f"metric={V.show(metric)}: this scheduler has no plateau to feed")
        self._states = [p.update(st, metric) for p, st in zip(self._plateaus, self._states)]

    def set_step(self, step: int) -> None:
        """Write ``schedule(step)`` (idempotent): the groups then hold the value of update ``step``.

        Args:
            step: an update count, >= 0.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = ScheduleLR(opt, lrsched.linear(1.0, 0.0, 10))
            >>> sched.set_step(5); sched.set_step(5)
            >>> sched.last_epoch, opt.param_groups[0]["lr"]
            (5, 0.5)
        """
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"step={V.show(step)}: expected a Python int")
        if step < 0:
            raise ValueError(f"step={V.show(step)}: must be >= 0")
        self.last_epoch = int(step)
        self._write()

    def get_lr(self) -> list[Any]:
        """The values for the current update (``last_epoch``), computed, not read back.

        Groups the scheduler leaves alone report ``None``.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> ScheduleLR(opt, lrsched.linear(1.0, 0.0, 4), last_step=1).get_lr()
            [0.5]
        """
        return self._values(self.last_epoch)

    def get_last_lr(self) -> list[Any]:
        """The values last written, one per group (a copy of the tensor for a tensor entry).

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(1.0))
            >>> ScheduleLR(opt, lrsched.constant(0.5)).get_last_lr()
            [tensor(0.5000)]
        """
        return self._last_lr

    # -- state --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state as plain data (ints, floats, strings, lists, dicts).

        Loadable with ``torch.load(..., weights_only=True)``: the step, the key, the initial
        values, each group's schedule as :func:`lrsched.to_dict` data (its ``repr`` where it
        does not serialise), and the plateaus with their states.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sd = ScheduleLR(opt, lrsched.constant(0.1)).state_dict()
            >>> sd["last_epoch"], sd["schedules"]
            (0, [{'type': 'constant', 'value': 0.1}])
        """
        return {
            "last_epoch": int(self.last_epoch),
            "_step_count": int(self._step_count),
            "key": self.key,
            "relative": self.relative,
            "base_lrs": [None if b is None else float(b) for b in self.base_lrs],
            "schedules": [_schedule_entry(s) for s in self._schedules],
            "plateaus": [p.to_dict() for p in self._plateaus],
            "plateau_index": list(self._plateau_index),
            "plateau_states": [{n: cast(getattr(st, n)) for n, cast in _STATE_FIELDS.items()} for st in self._states],
            "_last_lr": [None if v is None else _float(v) for v in self._last_lr],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the step and the plateau states, and write the restored step's values.

        The schedules and plateaus stay the ones this scheduler was built with; a
        ``UserWarning`` says so when the saved ones differ.

        Args:
            state_dict: data from :meth:`state_dict`.

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> s = lrsched.linear(1.0, 0.0, 10)
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> sched = ScheduleLR(opt, s)
            >>> sched.set_step(3)
            >>> fresh = ScheduleLR(opt, s)
            >>> fresh.load_state_dict(sched.state_dict())
            >>> fresh.last_epoch, opt.param_groups[0]["lr"]
            (3, 0.7)
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict={V.show(state_dict)}: expected a dict")
        for n in ("last_epoch", "schedules", "plateaus", "plateau_index", "plateau_states"):
            if n not in state_dict:
                raise ValueError(f"state_dict: missing field {V.show(n)}")
        last_epoch = state_dict["last_epoch"]
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, int) or last_epoch < 0:
            raise ValueError(f"state_dict.last_epoch={V.show(last_epoch)}: expected an int >= 0")
        step_count = state_dict.get("_step_count", last_epoch + 1)
        if isinstance(step_count, bool) or not isinstance(step_count, int) or step_count < 0:
            raise ValueError(f"state_dict._step_count={V.show(step_count)}: expected an int >= 0")
        current = [_schedule_entry(s) for s in self._schedules]
        if state_dict["schedules"] != current or state_dict.get("key", self.key) != self.key:
            warnings.warn(
                "ScheduleLR.load_state_dict: the saved schedule differs from this scheduler's; "
                "the step is restored and the current schedule is kept",
                UserWarning,
                stacklevel=2,
            )
        if state_dict.get("relative", self.relative) == self.relative and self.relative:
            saved = state_dict.get("base_lrs")
            if isinstance(saved, list) and len(saved) == len(self.base_lrs):
                lrs = [None if b is None else V.value(f"state_dict.base_lrs[{i}]", b) for i, b in enumerate(saved)]
                self.base_lrs = lrs  # type: ignore[assignment]
        saved_p = state_dict["plateaus"]
        if saved_p != [p.to_dict() for p in self._plateaus] or state_dict["plateau_index"] != self._plateau_index:
            warnings.warn(
                "ScheduleLR.load_state_dict: the saved plateau differs from this scheduler's; "
                + (
                    "its state is restored into the current plateau"
                    if len(saved_p) == len(self._plateaus)
                    else "the current plateau starts afresh"
                ),
                UserWarning,
                stacklevel=2,
            )
        if len(saved_p) == len(self._plateaus):
            states = []
            for j, d in enumerate(state_dict["plateau_states"]):
                states.append(state_from_data(d, f"state_dict.plateau_states[{j}]"))
            if len(states) != len(self._plateaus):
                raise ValueError("state_dict.plateau_states: one state per plateau expected")
            self._states = states
        self.last_epoch = last_epoch
        self._step_count = step_count
        self._write()

    def __repr__(self):
        sch = self._schedules
        shown = sch[0] if all(s is sch[0] for s in sch) else sch
        return f"ScheduleLR({type(self.optimizer).__name__}, {shown!r}, key={self.key!r}, last_epoch={self.last_epoch})"
