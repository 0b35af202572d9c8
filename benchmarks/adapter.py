"""The PyTorch adapter's per-step cost: ``ScheduleLR.step()`` against torch's own
``CosineAnnealingLR.step()``, on a cosine, a warmup + cosine (a join of two pieces, the common
recipe) and a cosine with a plateau attached. The optimizer is never stepped, so only the scheduler
is measured; the schedules are long enough that no run reaches their end."""

from __future__ import annotations

import warnings

from lrsched._timing import compare

from ._common import row

GROUP = "torch step"
TOTAL = 10**9


def plan(quick: bool, full: bool) -> list[dict]:
    return [{"steps": 2_000 if quick else 20_000, "groups": 1}]


def run(steps: int = 20_000, groups: int = 1, repeat: int = 7) -> list[dict]:
    """Median seconds per ``step()`` of ``steps`` consecutive calls, ``groups`` param groups."""
    try:
        import torch
        from torch.optim.lr_scheduler import CosineAnnealingLR

        from lrsched.torch import ScheduleLR
    except ImportError:
        return []
    import lrsched

    def opt():
        return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)], lr=1.0)

    cosine = lrsched.cosine(1.0, 0.0, TOTAL)
    with warnings.catch_warnings():  # torch warns when a scheduler steps before its optimizer did
        warnings.simplefilter("ignore")
        t = compare(
            {
                "torch": CosineAnnealingLR(opt(), TOTAL).step,
                "cosine": ScheduleLR(opt(), cosine).step,
                "warmup_cosine": ScheduleLR(opt(), lrsched.warmup_cosine(1.0, TOTAL, 1000)).step,
                "plateau": ScheduleLR(opt(), cosine, plateau=lrsched.Plateau()).step,
            },
            repeat=repeat,
            number=steps,
        )
    ls = t["cosine"]
    return [
        row(GROUP, groups, "lrsched ScheduleLR.step()", ls),
        row(GROUP, groups, "lrsched ScheduleLR.step(), warmup_cosine", t["warmup_cosine"]),
        row(GROUP, groups, "lrsched ScheduleLR.step(), cosine + plateau (no metric)", t["plateau"]),
        row(GROUP, groups, "torch CosineAnnealingLR.step()", t["torch"], "torch", t["torch"] / ls),
    ]
