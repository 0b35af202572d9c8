"""PyTorch adapter: drive an optimizer's param groups from lrsched schedules.

``import lrsched`` never imports torch; this module is imported explicitly
(``from lrsched.torch import ScheduleLR``).

:class:`ScheduleLR` is closed form: the value written for update ``k`` is ``schedule(k)``, never
derived from what the param group held before. It is a subclass of
``torch.optim.lr_scheduler.LRScheduler`` (so trainers such as Lightning accept it) that does not
run ``LRScheduler.__init__``: that constructor wraps ``optimizer.step`` to detect the call
order, and this adapter leaves the optimizer untouched. Every attribute trainers read is set
here instead (``optimizer``, ``last_epoch``, ``base_lrs``, ``_last_lr``, ``_step_count``).
"""

from ._torch_adapter import ScheduleLR as ScheduleLR
from ._torch_lr_find import lr_find as lr_find

__all__ = ["ScheduleLR", "lr_find"]
