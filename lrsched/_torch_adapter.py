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
from ._node import Schedule
from ._plateau import Plateau, PlateauState, state_from_data
from ._torch_groups import _BETAS, _check_entry, _float, _Group, _initial, _per_group, _put, _read, _schedule_entry

_STATE_FIELDS = {"scale": float, "best": float, "num_bad": int, "cooldown_left": int, "level": float, "seen": int}


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
        also: other entries of the groups to drive with the same step, one scheduler for all:
            a dict such as ``{"momentum": schedule}``, each schedule given as ``schedule`` is
            (one for all groups, a list, or a dict keyed by group). ``relative`` applies to them
            (their initial values are kept as ``"initial_<entry>"``), the plateau does not;
            ``get_last_lr()`` reports ``key`` alone.
        last_step: the last update already done, for resuming (``-1``: a fresh start). With
            ``relative=True`` a resume needs the initial values in the groups (load the
            optimizer's state first).

    Param groups the optimizer gets later (``add_param_group``) are taken in at the next
    ``step()``: they follow a schedule given for all groups (scaled by their own value with
    ``relative=True``); with per-group schedules, name theirs with :meth:`add_group`. The
    plateaus' states are :attr:`plateau_states`.

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

    def __init__(self, optimizer, schedule, *, key="lr", relative=False, plateau=None, also=None, last_step=-1):
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
        if also is None:
            also = {}
        if not isinstance(also, dict):
            raise TypeError(f"also={V.show(also)}: expected a dict of group entry -> schedule")
        for k in also:
            if not isinstance(k, str):
                raise TypeError(f"also[{V.show(k)}]: keys are param group entries (strings)")
            if k == key:
                raise ValueError(f"also[{V.show(k)}]: that is key={V.show(key)} itself, driven by schedule")
        self.optimizer = optimizer
        self.key = key
        self.relative = relative
        self._init_step = last_step
        groups = optimizer.param_groups
        # what groups added to the optimizer later follow: a schedule (plateau) given for all
        self._shared = schedule if isinstance(schedule, Schedule) else None
        self._shared_also = {k: v for k, v in also.items() if isinstance(v, Schedule)}
        self._shared_plateau = isinstance(plateau, Plateau)
        self._pending: list[tuple[Schedule | None, dict, Plateau | None]] = []
        schedules = _per_group("schedule", schedule, groups, Schedule)
        also_per = {k: _per_group(f"also[{k!r}]", v, groups, Schedule) for k, v in also.items()}
        self._plateaus: list[Plateau] = []
        if plateau is None:
            plateaus: list[Plateau | None] = [None] * len(groups)
        elif isinstance(plateau, Plateau):
            self._plateaus = [plateau]
            plateaus = [None] * len(groups)
        else:
            plateaus = _per_group("plateau", plateau, groups, Plateau)
        self._groups: list[_Group] = []
        for i, g in enumerate(groups):
            self._groups.append(self._group(i, g, schedules[i], {k: v[i] for k, v in also_per.items()}, plateaus[i]))
        self._states: list[PlateauState] = [p.init() for p in self._plateaus]
        self._last_lr: list[Any] = []
        self._step_count = 1  # as after PyTorch's initial step
        self.last_epoch = last_step + 1
        self._write()

    def _group(self, i, g, s, also, plateau) -> _Group:
        """The record of param group ``i``: its entries checked, its initial values kept."""
        if s is not None:
            _check_entry(g, i, self.key)
        for k, a in also.items():
            if a is not None:
                _check_entry(g, i, k, f"also[{k!r}]")
        rel, start = self.relative, self._init_step
        keep = self.key == "lr" or (rel and s is not None)
        rec = _Group(s, _initial(g, i, self.key, rel and s is not None, start) if keep else None)
        for k, a in also.items():
            if a is not None:
                rec.also[k] = (a, _initial(g, i, k, rel, start) if rel else None)
        if plateau is not None and s is not None:
            rec.plateau = len(self._plateaus)
            self._plateaus.append(plateau)
        elif self._shared_plateau and s is not None:
            rec.plateau = 0
        return rec

    def add_group(self, schedule, *, also=None, plateau=None) -> None:
        """Name the schedule of the next param group the optimizer gets (``add_param_group``).

        Groups added to the optimizer are taken in order at the next :meth:`step` or
        :meth:`set_step`. Without ``add_group`` a new group follows a schedule (and ``also``
        entries, and a plateau) given for all groups; with per-group schedules it must be named.

        Args:
            schedule: the new group's :class:`~lrsched.Schedule` (``None`` leaves it alone).
            also: a dict of other entries of the group to their schedules.
            plateau: a :class:`~lrsched.Plateau` of its own for the group (``None``: the
                scheduler's plateau when one was given for all groups, else none).

        Example:
            >>> import torch, lrsched
            >>> from lrsched.torch import ScheduleLR
            >>> a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
            >>> opt = torch.optim.SGD([a], lr=1.0)
            >>> sched = ScheduleLR(opt, [lrsched.constant(0.1)])
            >>> opt.add_param_group({"params": [b]})
            >>> sched.add_group(lrsched.constant(0.5))
            >>> sched.step(); sched.get_last_lr()
            [0.1, 0.5]
        """
        if schedule is not None and not isinstance(schedule, Schedule):
            raise TypeError(f"schedule={V.show(schedule)}: expected a Schedule or None")
        also = {} if also is None else also
        if not isinstance(also, dict) or not all(isinstance(k, str) and k != self.key for k in also):
            raise TypeError(f"also={V.show(also)}: expected a dict of group entries (other than {self.key!r})")
        for k, a in also.items():
            if not isinstance(a, Schedule):
                raise TypeError(f"also[{k!r}]={V.show(a)}: expected a Schedule")
        if plateau is not None and not isinstance(plateau, Plateau):
            raise TypeError(f"plateau={V.show(plateau)}: expected an lrsched.Plateau or None")
        self._pending.append((schedule, dict(also), plateau))

    def _sync(self, groups):
        """Take in the param groups added to the optimizer since the last write."""
        n = len(self._groups)
        if len(groups) < n:
            raise RuntimeError(f"the optimizer has {len(groups)} param groups; this scheduler was built for {n}")
        for i in range(n, len(groups)):
            if self._pending:
                s, also, p = self._pending.pop(0)
            elif self._shared is not None:
                s, also, p = self._shared, dict(self._shared_also), None
            else:
                raise RuntimeError(
                    f"param group {i} was added to the optimizer, and this scheduler has a schedule per group: "
                    "call sched.add_group(schedule) to name its schedule (None leaves it alone)"
                )
            known = len(self._plateaus)
            self._groups.append(self._group(i, groups[i], s, also, p))
            self._states.extend(pl.init() for pl in self._plateaus[known:])

    @property
    def base_lrs(self) -> list[Any]:
        """The initial value of each group's ``key`` entry (``None`` where none is kept)."""
        return [r.base for r in self._groups]

    @base_lrs.setter
    def base_lrs(self, values: list[Any]) -> None:
        if not isinstance(values, (list, tuple)) or len(values) != len(self._groups):
            raise ValueError(f"base_lrs={V.show(values)}: expected one value per param group ({len(self._groups)})")
        for i, (r, b) in enumerate(zip(self._groups, values)):
            r.base = None if b is None else V.value(f"base_lrs[{i}]", b)

    @property
    def plateau_states(self) -> list[PlateauState]:
        """The state of each plateau (one per :class:`~lrsched.Plateau` given), in order."""
        return list(self._states)

    # -- writing ------------------------------------------------------------------------------
    def _values(self, k):
        """The value of every group at update ``k`` (``None`` for a group left alone)."""
        out = []
        states, plateaus, rel = self._states, self._plateaus, self.relative
        prev, raw = None, 0.0
        for r in self._groups:
            s = r.schedule
            if s is None:
                out.append(None)
                continue
            if s is not prev:  # one schedule shared by the groups is evaluated once
                raw = s(k)
                if type(raw) is not float:
                    raw = float(raw)
                prev = s
            v = r.base * raw if rel else raw
            if r.plateau >= 0:
                v = plateaus[r.plateau].apply(states[r.plateau], v)
            out.append(v)
        return out

    def _write(self):
        groups = self.optimizer.param_groups
        if len(groups) != len(self._groups):
            self._sync(groups)
        key, k, rel = self.key, self.last_epoch, self.relative
        last = []
        for g, r, v in zip(groups, self._groups, self._values(k)):
            if v is None:
                cur = _read(g, key) if (key in _BETAS or key in g) else None
                last.append(cur.clone() if isinstance(cur, torch.Tensor) else cur)
            else:
                last.append(_put(g, key, v))
            for a, (s, b) in r.also.items():
                x = s(k)
                x = float(x) if type(x) is not float else x
                _put(g, a, b * x if rel else x)
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
            "schedules": [_schedule_entry(r.schedule) for r in self._groups],
            "also": self._also_entries(),
            "also_bases": {k: [self._also_of(r, k)[1] for r in self._groups] for k in self._also_keys()},
            "plateaus": [p.to_dict() for p in self._plateaus],
            "plateau_index": [r.plateau for r in self._groups],
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
        current = [_schedule_entry(r.schedule) for r in self._groups]
        if (
            state_dict["schedules"] != current
            or state_dict.get("key", self.key) != self.key
            or state_dict.get("also", {}) != self._also_entries()
        ):
            warnings.warn(
                "ScheduleLR.load_state_dict: the saved schedule differs from this scheduler's; "
                "the step is restored and the current schedule is kept",
                UserWarning,
                stacklevel=2,
            )
        if state_dict.get("relative", self.relative) == self.relative and self.relative:
            saved = state_dict.get("base_lrs")
            if isinstance(saved, list) and len(saved) == len(self._groups):
                lrs = [None if b is None else V.value(f"state_dict.base_lrs[{i}]", b) for i, b in enumerate(saved)]
                self.base_lrs = lrs
            for k, bases in state_dict.get("also_bases", {}).items():
                if k in self._also_keys() and isinstance(bases, list) and len(bases) == len(self._groups):
                    for i, (r, b) in enumerate(zip(self._groups, bases)):
                        if k in r.also and b is not None:
                            r.also[k] = (r.also[k][0], V.value(f"state_dict.also_bases[{k!r}][{i}]", b))
        saved_p = state_dict["plateaus"]
        if not self._same_plateaus(saved_p) or state_dict["plateau_index"] != [r.plateau for r in self._groups]:
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

    def _also_keys(self) -> list[str]:
        keys: dict[str, None] = {}
        for r in self._groups:
            keys.update(dict.fromkeys(r.also))
        return list(keys)

    @staticmethod
    def _also_of(r, k):
        return r.also.get(k, (None, None))

    def _also_entries(self) -> dict[str, list[Any]]:
        return {k: [_schedule_entry(self._also_of(r, k)[0]) for r in self._groups] for k in self._also_keys()}

    def _same_plateaus(self, saved) -> bool:
        """Whether saved plateau data describe this scheduler's plateaus (data written before
        a field existed reads with that field's default)."""
        if not isinstance(saved, list) or len(saved) != len(self._plateaus):
            return False
        try:
            return all(Plateau.from_dict(d) == p for d, p in zip(saved, self._plateaus))
        except (TypeError, ValueError):
            return False

    def __repr__(self):
        sch = [r.schedule for r in self._groups]
        shown = sch[0] if all(s is sch[0] for s in sch) else sch
        parts = [type(self.optimizer).__name__, repr(shown), f"key={self.key!r}"]
        if self._also_keys():
            also = {}
            for k in self._also_keys():
                a = [self._also_of(r, k)[0] for r in self._groups]
                also[k] = a[0] if all(x is a[0] for x in a) else a
            parts.append(f"also={also!r}")
        if self._plateaus:
            parts.append(f"plateau_states={self._states!r}")
        parts.append(f"last_epoch={self.last_epoch}")
        return f"ScheduleLR({', '.join(parts)})"
