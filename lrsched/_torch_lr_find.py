"""The range test on a PyTorch model (:func:`lrsched.torch.lr_find`), driven by ``ScheduleLR``."""

from __future__ import annotations

import copy

from . import _validate as V
from ._lr_find import LRFindResult, check_sweep, sweep
from ._torch_adapter import ScheduleLR, torch


def _clone(v):
    return v.detach().clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v)


def _put_back(container, key, saved):
    """Restore ``container[key]`` to ``saved``, in place where it is a tensor of the same kind."""
    cur = container.get(key) if isinstance(container, dict) else None
    if (
        isinstance(cur, torch.Tensor)
        and isinstance(saved, torch.Tensor)
        and cur.shape == saved.shape
        and cur.dtype == saved.dtype
        and cur.device == saved.device
    ):
        with torch.no_grad():
            cur.copy_(saved)
    else:
        container[key] = saved


class _Snapshot:
    """The model's and the optimizer's state, to be put back exactly after a range test: the
    values of every parameter, buffer and gradient (copied into the same tensors), the training
    flag of every module, the optimizer's per-parameter state and every param group entry (a
    tensor ``lr`` is refilled, not replaced; entries added meanwhile, such as ``initial_lr``,
    are removed)."""

    def __init__(self, model, optimizer):
        tensors: dict[int, torch.Tensor] = {}
        for t in [*model.parameters(), *model.buffers()]:
            tensors.setdefault(id(t), t)
        for g in optimizer.param_groups:
            for p in g["params"]:
                tensors.setdefault(id(p), p)
        self.tensors = list(tensors.values())
        self.values = [t.detach().clone() for t in self.tensors]
        self.grads = [None if t.grad is None else t.grad.detach().clone() for t in self.tensors]
        self.training = [(m, m.training) for m in model.modules()]
        self.optimizer = optimizer
        self.state = {p: {k: _clone(v) for k, v in st.items()} for p, st in optimizer.state.items()}
        self.groups = [{k: _clone(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups]

    def restore(self):
        with torch.no_grad():
            for t, v in zip(self.tensors, self.values):
                t.copy_(v)
        for t, gr in zip(self.tensors, self.grads):
            t.grad = gr
        for m, flag in self.training:
            m.training = flag
        state = self.optimizer.state
        for p in [p for p in state if p not in self.state]:
            del state[p]
        for p, saved in self.state.items():
            cur = state[p]
            for k in [k for k in cur if k not in saved]:
                del cur[k]
            for k, v in saved.items():
                _put_back(cur, k, v)
        for g, saved in zip(self.optimizer.param_groups, self.groups):
            for k in [k for k in g if k != "params" and k not in saved]:
                del g[k]
            for k, v in saved.items():
                _put_back(g, k, v)


def lr_find(
    model,
    optimizer,
    loss_fn,
    data,
    *,
    start_lr=1e-7,
    end_lr=10.0,
    num_steps=100,
    smoothing=0.98,
    diverge=4.0,
    verbose=True,
) -> LRFindResult:
    """The learning-rate range test: train while the lr grows geometrically, record the loss.

    Update ``k`` uses the learning rate ``ramp(start_lr, end_lr, num_steps - 1,
    shape="exponential")(k)``, written into every param group by :class:`ScheduleLR`; one
    update per batch of ``data``, with the loss ``loss_fn(model(inputs), targets)``. The test
    stops after ``num_steps`` updates, or once the smoothed loss passes ``diverge`` times its
    minimum or is not finite. Then the model (parameters, buffers, gradients, train/eval mode)
    and the optimizer (its state and every param group entry, the lrs included) are put back
    exactly as they were, so training goes on from where it was.

    Args:
        model: a ``torch.nn.Module``, put in training mode for the test.
        optimizer: a ``torch.optim.Optimizer`` over the model's parameters.
        loss_fn: ``loss_fn(outputs, targets)``, a scalar tensor (``torch.nn.functional.cross_entropy``).
        data: an iterable of ``(inputs, targets)`` pairs (a ``DataLoader``, a list, a generator),
            gone through again from its start when it runs out.
        start_lr: the first learning rate (> 0).
        end_lr: the learning rate of update ``num_steps - 1`` (> ``start_lr``).
        num_steps: the most updates to run (>= 10).
        smoothing: the factor of the bias-corrected moving average of the loss, in [0, 1).
        diverge: stop once the smoothed loss is above ``diverge`` times its minimum (> 1).
        verbose: show a progress bar (tqdm where installed, else a line) on stderr.

    Returns:
        An :class:`~lrsched._lr_find.LRFindResult`: ``lrs``, ``losses``, ``raw_losses``,
        ``suggestion``, ``plot()`` and ``schedule(kind, **kwargs)``.

    Example:
        >>> import torch
        >>> from lrsched.torch import lr_find
        >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
        <torch._C.Generator object at ...>
        >>> x = torch.randn(256, 4); y = x @ torch.tensor([1.0, -2.0, 0.5, 3.0])
        >>> model = torch.nn.Linear(4, 1)
        >>> opt = torch.optim.SGD(model.parameters(), lr=0.01)
        >>> r = lr_find(model, opt, lambda out, t: ((out[:, 0] - t) ** 2).mean(), [(x, y)],
        ...             start_lr=1e-4, end_lr=10.0, num_steps=50, verbose=False)
        >>> r.diverged, 1e-3 < r.suggestion < 1.0, opt.param_groups[0]["lr"]
        (True, True, 0.01)
    """
    schedule = check_sweep(start_lr, end_lr, num_steps, smoothing, diverge, verbose)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model={V.show(model)}: expected a torch.nn.Module")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer={V.show(optimizer)}: expected a torch.optim.Optimizer")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn={V.show(loss_fn)}: expected a callable")
    snapshot = _Snapshot(model, optimizer)

    def update(k, batch):
        try:
            inputs, targets = batch
        except (TypeError, ValueError):
            raise TypeError(
                f"data: batch {k} is a {type(batch).__name__}: expected an (inputs, targets) pair"
            ) from None
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"loss_fn returned {type(loss).__name__} at update {k}: expected a scalar tensor")
        if loss.ndim != 0:
            raise ValueError(
                f"loss_fn returned a tensor of shape {tuple(loss.shape)} at update {k}: expected a scalar "
                "(reduce it, e.g. reduction='mean')"
            )
        loss.backward()
        optimizer.step()
        sched.step()
        return float(loss.item())

    try:
        model.train()
        sched = ScheduleLR(optimizer, schedule)
        return sweep(update, data, schedule, num_steps, float(smoothing), float(diverge), verbose)
    finally:
        snapshot.restore()
