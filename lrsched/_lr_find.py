r"""The learning-rate range test: the sweep, the smoothed loss, the suggestion and the result.

The test (Smith, *Cyclical Learning Rates for Training Neural Networks*, section 3.3,
https://arxiv.org/abs/1506.01186) trains for a few hundred updates while the learning rate grows
geometrically from tiny to huge, records the loss of each update, stops once it diverges, and
reads a peak learning rate off the curve. This module holds what does not depend on the
framework: the checks, the sweep loop, the smoothing, the divergence test, the suggestion, the
progress line and :class:`LRFindResult`. :func:`lrsched.torch.lr_find` and
:func:`lrsched.optax.lr_find` each supply one update step.

Neither torch nor matplotlib is imported here (matplotlib only inside :meth:`LRFindResult.plot`,
tqdm only when a progress bar is shown).
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Callable, Generator, Iterable
from typing import Any

import numpy as np

from . import _recipes as R
from . import _validate as V
from ._node import Schedule
from ._plot import axes
from ._primitives import ramp

SKIP_END = 5  # the last points left out of the suggestion (fastai's and torch-lr-finder's 5)
MIN_STEPS = 10

# The recipes whose top value is ``peak``: what :meth:`LRFindResult.schedule` can build.
RECIPES: dict[str, Callable[..., Schedule]] = {
    "warmup_cosine": R.warmup_cosine,
    "warmup_linear": R.warmup_linear,
    "wsd": R.wsd,
    "one_cycle": R.one_cycle,
    "sgdr": R.sgdr,
    "noam": R.noam,
    "tri_stage": R.tri_stage,
}


def check_sweep(start_lr, end_lr, num_steps, smoothing, diverge, verbose) -> Schedule:
    """Check the range test's keywords; return its learning rates, the exponential ramp."""
    start_lr = V.value("start_lr", start_lr, positive=True)
    end_lr = V.value("end_lr", end_lr, positive=True)
    if type(start_lr) is not float or type(end_lr) is not float:
        raise TypeError(f"start_lr={V.show(start_lr)}, end_lr={V.show(end_lr)}: expected Python numbers")
    if not start_lr < end_lr:
        raise ValueError(f"start_lr={V.show(start_lr)}, end_lr={V.show(end_lr)}: start_lr must be < end_lr")
    num_steps = V.steps("num_steps", num_steps, allow_float=False)
    if num_steps < MIN_STEPS:
        raise ValueError(f"num_steps={V.show(num_steps)}: must be >= {MIN_STEPS}")
    smoothing = V.value("smoothing", smoothing)
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing={V.show(smoothing)}: must be in [0, 1)")
    diverge = V.value("diverge", diverge)
    if not diverge > 1.0:
        raise ValueError(f"diverge={V.show(diverge)}: must be > 1")
    if not isinstance(verbose, bool):
        raise TypeError(f"verbose={V.show(verbose)}: expected a bool")
    return ramp(start_lr, end_lr, num_steps - 1, shape="exponential")


def cycle_batches(data) -> Generator[Any, None, None]:
    """The items of ``data`` without end: a re-iterable (a list, a ``DataLoader``) is iterated
    again when it runs out, a one-shot iterator (a generator) has its items replayed."""
    if isinstance(data, (str, bytes)) or not isinstance(data, Iterable):
        raise TypeError(f"data={V.show(data)}: expected an iterable of batches")
    return _cycle(data)


def _cycle(data):
    it = iter(data)
    one_shot = it is data
    seen: list[Any] = []
    first = True
    while True:
        got = False
        for batch in it:
            got = True
            if one_shot and first:
                seen.append(batch)
            yield batch
        if not got:
            what = "yields no batch" if first else "yields no batch when iterated a second time"
            raise ValueError(f"data={type(data).__name__}(...): {what}")
        first = False
        it = iter(seen) if one_shot else iter(data)


class Smoother:
    r"""The bias-corrected exponential moving average of the losses (fastai's ``AvgSmoothLoss``).

    .. math::
        a_k = \beta a_{k-1} + (1 - \beta) x_k, \quad a_{-1} = 0, \qquad
        s_k = a_k / (1 - \beta^{k+1})
    """

    def __init__(self, beta: float):
        self.beta, self.avg, self.count = beta, 0.0, 0

    def add(self, x: float) -> float:
        b = self.beta
        self.avg = b * self.avg + (1.0 - b) * x
        self.count += 1
        return self.avg / (1.0 - b**self.count)


class _Progress:
    """A tqdm bar where tqdm is installed; else a plain line, redrawn on a terminal only."""

    def __init__(self, total: int, verbose: bool):
        self.total, self.verbose, self.bar = total, verbose, None
        if not verbose:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            self.tty = sys.stderr.isatty()
        else:
            self.bar = tqdm(total=total, desc="lr_find", unit="update", file=sys.stderr)

    def update(self, k: int, lr: float, loss: float) -> None:
        if not self.verbose:
            return
        if self.bar is not None:
            self.bar.set_postfix(lr=f"{lr:.2e}", loss=f"{loss:.4g}", refresh=False)
            self.bar.update(1)
        elif self.tty:
            sys.stderr.write(f"\rlr_find: update {k + 1}/{self.total}  lr {lr:.2e}  loss {loss:.4g}")
            sys.stderr.flush()

    def close(self, summary: str) -> None:
        if not self.verbose:
            return
        if self.bar is not None:
            self.bar.close()
        elif self.tty:
            sys.stderr.write("\r\x1b[K")
        sys.stderr.write(f"lr_find: {summary}\n")
        sys.stderr.flush()


def sweep(update, data, schedule: Schedule, num_steps: int, smoothing: float, diverge: float, verbose: bool):
    """Run the range test: ``update(k, batch)`` performs update ``k`` at ``schedule(k)`` and returns
    the loss it computed (before the update, as a Python float). Stops after ``num_steps``
    updates, or once the smoothed loss passes ``diverge`` times its minimum or is not finite."""
    batches = cycle_batches(data)
    smoother = Smoother(smoothing)
    lrs: list[float] = []
    raw: list[float] = []
    smoothed: list[float] = []
    best = math.inf
    diverged = False
    progress = _Progress(num_steps, verbose)
    try:
        for k in range(num_steps):
            batch = next(batches)
            loss = update(k, batch)
            if loss < 0:
                raise ValueError(
                    f"loss_fn returned {V.show(loss)} at update {k}: the divergence test (diverge={V.show(diverge)} "
                    "times the smallest smoothed loss) needs losses >= 0"
                )
            lr = schedule(k)
            s = smoother.add(loss)
            lrs.append(lr)
            raw.append(loss)
            smoothed.append(s)
            progress.update(k, lr, loss)
            best = min(best, s)
            if not math.isfinite(s) or s > diverge * best:
                diverged = True
                break
    finally:
        batches.close()
    result = LRFindResult(lrs, smoothed, raw, num_steps=num_steps, diverged=diverged)
    progress.close(result._summary())
    return result


def steepest(lrs, losses, skip_start: int, skip_end: int = SKIP_END) -> int | None:
    r"""The index of the steepest descent of ``losses`` against ``log(lrs)``; ``None`` when too few.

    The first ``skip_start`` and the last ``skip_end`` points are left out, and so is everything
    from the first non-finite loss on. Over the points ``i`` left, the slope is the forward
    difference :math:`(L_{i+1} - L_i) / (\log \eta_{i+1} - \log \eta_i)` and the index is that of
    the most negative one (its left end, as fastai's ``steep``).
    """
    losses = np.asarray(losses, dtype=np.float64)
    lrs = np.asarray(lrs, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(losses))
    stop = min(len(losses) - skip_end, int(bad[0]) if bad.size else len(losses))
    if stop - skip_start < 2:
        return None
    y, x = losses[skip_start:stop], np.log(lrs[skip_start:stop])
    slope = np.diff(y) / np.diff(x)
    return skip_start + int(np.argmin(slope))


def _frozen(v, dtype=np.float64) -> np.ndarray:
    a = np.array(v, dtype=dtype)
    a.flags.writeable = False
    return a


class LRFindResult:
    """What a range test recorded, and the peak learning rate it suggests.

    Attributes:
        lrs: the learning rate of each update done (float64 array), ``ramp(...)(k)`` for update ``k``.
        losses: the smoothed loss of each update (bias-corrected exponential moving average).
        raw_losses: the loss each update computed, before its step.
        num_steps: the number of updates the test was given.
        diverged: whether it stopped early because the smoothed loss diverged.
        suggestion: the learning rate at the steepest descent of the smoothed loss (see below).

    The suggestion is the rule of fastai's ``steep`` (``fastai.callback.schedule``) on the
    window fastai's ``Learner.lr_find`` uses: leave out the first ``num_steps // 10`` points (the
    loss has not started to move) and the last 5 (it is diverging), and everything from the first
    non-finite loss on; over the rest take the forward difference of the smoothed loss against
    ``log(lr)`` and return the learning rate at the left end of the most negative one.
    torch-lr-finder's ``LRFinder.plot(suggest_lr=True)`` (``skip_start=10, skip_end=5``) is the
    same rule with a central difference. Smith's own reading of the curve
    (https://arxiv.org/abs/1506.01186, section 3.3) takes the learning rate where the loss starts
    to fall fastest as the place to be, well below where it diverges.
    """

    def __init__(self, lrs, losses, raw_losses, *, num_steps: int, diverged: bool):
        self.lrs = _frozen(lrs)
        self.losses = _frozen(losses)
        self.raw_losses = _frozen(raw_losses)
        if not len(self.lrs) == len(self.losses) == len(self.raw_losses):
            raise ValueError(
                f"lrs, losses, raw_losses: lengths {len(self.lrs)}, {len(self.losses)}, {len(self.raw_losses)} differ"
            )
        self.num_steps = num_steps
        self.diverged = diverged
        self.skip_start = num_steps // 10
        self._index = steepest(self.lrs, self.losses, self.skip_start)

    @property
    def suggestion_index(self) -> int:
        """The index into :attr:`lrs` of :attr:`suggestion`."""
        if self._index is None:
            n = len(self.lrs)
            need = self.skip_start + SKIP_END + 2
            raise ValueError(
                f"the range test recorded {n} updates{' before it diverged' if self.diverged else ''}: "
                f"a suggestion needs at least {need} finite losses; lower start_lr or give more num_steps"
            )
        return self._index

    @property
    def suggestion(self) -> float:
        """The learning rate at the steepest descent of the smoothed loss."""
        return float(self.lrs[self.suggestion_index])

    def schedule(self, kind: str = "warmup_cosine", **kwargs) -> Schedule:
        """The recipe ``kind`` with :attr:`suggestion` as its ``peak``.

        Args:
            kind: ``"warmup_cosine"``, ``"warmup_linear"``, ``"wsd"``, ``"one_cycle"``,
                ``"sgdr"``, ``"noam"`` or ``"tri_stage"``.
            **kwargs: the recipe's other arguments (``total_steps=``, ``warmup_steps=``, ...).

        Example:
            >>> from lrsched._lr_find import LRFindResult
            >>> lrs = [10.0**(k / 4 - 4) for k in range(20)]
            >>> losses = [2.0] * 6 + [2.0 - 0.1 * k for k in range(1, 15)]
            >>> losses[12] = 0.9  # the steepest drop, from lrs[11] to lrs[12]
            >>> r = LRFindResult(lrs, losses, losses, num_steps=20, diverged=False)
            >>> r.suggestion == lrs[11]
            True
            >>> r.schedule("warmup_cosine", total_steps=100, warmup_steps=10)(10) == lrs[11]
            True
        """
        if not isinstance(kind, str) or kind not in RECIPES:
            close = difflib.get_close_matches(str(kind), RECIPES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"kind={V.show(kind)}: must be one of {', '.join(map(repr, RECIPES))}{hint}")
        if "peak" in kwargs:
            raise TypeError(
                f"peak={V.show(kwargs['peak'])}: the peak is the suggestion; build {kind} directly to set it"
            )
        return RECIPES[kind](peak=self.suggestion, **kwargs)

    def plot(self, ax=None):
        """The smoothed loss (and, faintly, the raw loss) against the learning rate, log x, with
        the suggestion marked; returns the matplotlib ``Axes``.

        Args:
            ax: the ``Axes`` to draw into (default: the current axes, ``plt.gca()``).
        """
        ax = axes(ax, "LRFindResult.plot")
        (raw,) = ax.plot(self.lrs, self.raw_losses, color="0.6", alpha=0.5, linewidth=0.8, label="loss")
        raw.set_gid("lrsched-raw-loss")
        (line,) = ax.plot(self.lrs, self.losses, linewidth=1.8, label="smoothed loss")
        line.set_gid("lrsched-loss")
        finite = self.losses[np.isfinite(self.losses)]
        if finite.size:  # the smoothed curve's range, down to the lowest raw loss
            raw_ok = self.raw_losses[np.isfinite(self.raw_losses)]
            lo, hi = float(min(finite.min(), raw_ok.min())), float(finite.max())
            pad = 0.05 * (hi - lo) or 0.05 * abs(hi) or 0.05
            ax.set_ylim(lo - pad, hi + pad)
        if self._index is not None:
            i = self._index
            (mark,) = ax.plot(
                [self.lrs[i]], [self.losses[i]], "o", color="tab:red", label=f"suggestion {self.lrs[i]:.2e}"
            )
            mark.set_gid("lrsched-suggestion")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.legend(loc="best", fontsize=8)
        return ax

    def _summary(self) -> str:
        n = len(self.lrs)
        how = f"the loss diverged at update {n} of {self.num_steps}" if self.diverged else f"{n} updates"
        lr = f"lr {self.lrs[-1]:.2e}" if n else "no update"
        tip = f"suggestion {self.suggestion:.2e}" if self._index is not None else "no suggestion"
        return f"{how} ({lr}); {tip}"

    def __repr__(self):
        tip = f"{self.suggestion:.3g}" if self._index is not None else None
        return f"LRFindResult(updates={len(self.lrs)} of {self.num_steps}, diverged={self.diverged}, suggestion={tip})"
