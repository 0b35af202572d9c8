"""A real Lightning Trainer accepts ScheduleLR as a per-step scheduler and trains with its lrs."""

import pytest

pytest.importorskip("lightning")

import lightning.pytorch as pl
import torch

import lrsched
from lrsched.compat.torch import reduce_lr_on_plateau
from lrsched.torch import ScheduleLR

STEPS = 30
SCHEDULE = lrsched.warmup_cosine(0.1, STEPS, 5, end=0.01)


class _Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)
        self.seen_lrs = []
        self.seen_momenta = []

    def training_step(self, batch, batch_idx):
        group = self.trainer.optimizers[0].param_groups[0]
        self.seen_lrs.append(group["lr"])
        self.seen_momenta.append(group["momentum"])
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=1.0, momentum=0.5)
        self.sched = ScheduleLR(opt, SCHEDULE)
        self.msched = ScheduleLR(opt, lrsched.linear(0.9, 0.8, STEPS), key="momentum")
        return {
            "optimizer": opt,
            "lr_scheduler": {"scheduler": self.sched, "interval": "step"},
        }

    def on_train_batch_end(self, outputs, batch, batch_idx):
        self.msched.step()


def _loader(seed):
    g = torch.Generator().manual_seed(seed)
    data = torch.utils.data.TensorDataset(
        torch.randn(STEPS * 4, 3, generator=g), torch.randn(STEPS * 4, 1, generator=g)
    )
    return torch.utils.data.DataLoader(data, batch_size=4)


def _trainer(**kwargs):
    settings = dict(logger=False, enable_checkpointing=False, enable_model_summary=False)
    return pl.Trainer(
        max_steps=STEPS, accelerator="cpu", devices=1, enable_progress_bar=False, **{**settings, **kwargs}
    )


# Lightning calls a torch pytree API that torch now deprecates
@pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")
def test_trainer_uses_the_schedule_per_step():
    loader = _loader(0)
    model = _Tiny()
    trainer = _trainer()
    trainer.fit(model, loader)
    expected = [SCHEDULE(k) for k in range(STEPS)]
    assert model.seen_lrs == expected
    assert model.seen_momenta == [lrsched.linear(0.9, 0.8, STEPS)(k) for k in range(STEPS)]
    assert model.sched.last_epoch == STEPS
    assert trainer.lr_scheduler_configs[0].scheduler is model.sched


class _TinyPlateau(_Tiny):
    def training_step(self, batch, batch_idx):
        self.seen_lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.losses.append(loss.item())
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        plateau = reduce_lr_on_plateau(factor=0.5, patience=1, lr=0.1)
        self.sched = ScheduleLR(opt, lrsched.constant(0.1), plateau=plateau)
        config = {"scheduler": self.sched, "interval": "step", "reduce_on_plateau": True, "monitor": "train_loss"}
        return {"optimizer": opt, "lr_scheduler": config}

    def on_train_batch_end(self, outputs, batch, batch_idx):
        pass


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")
def test_trainer_feeds_the_monitored_metric_to_the_plateau():
    # Lightning calls step(metric) on a scheduler flagged reduce_on_plateau; the lrs it trained
    # with are those of torch's ReduceLROnPlateau fed the same losses
    loader = _loader(1)
    model = _TinyPlateau()
    model.losses = []
    trainer = _trainer()
    trainer.fit(model, loader)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    expected = []
    for loss in model.losses:
        expected.append(opt.param_groups[0]["lr"])
        ref.step(loss)
    assert model.seen_lrs == expected
    assert min(expected) < 0.1


class _TinyAlso(_Tiny):
    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=1.0, momentum=0.5)
        self.sched = ScheduleLR(opt, SCHEDULE, also={"momentum": MOMENTUM})
        return {"optimizer": opt, "lr_scheduler": {"scheduler": self.sched, "interval": "step"}}

    def on_train_batch_end(self, outputs, batch, batch_idx):
        pass  # one scheduler drives both entries


MOMENTUM = lrsched.cosine(0.85, 0.95, STEPS)


class _Collect(pl.loggers.Logger):
    def __init__(self):
        super().__init__()
        self.rows = []

    name = "collect"
    version = 0

    def log_metrics(self, metrics, step=None):
        self.rows.append(dict(metrics))

    def log_hyperparams(self, params, *args, **kwargs):
        pass


@pytest.mark.filterwarnings("ignore:.*LeafSpec.*is deprecated:FutureWarning")
def test_learning_rate_monitor_logs_the_also_momentum():
    loader = _loader(1)
    model, logger = _TinyAlso(), _Collect()
    monitor = pl.callbacks.LearningRateMonitor(logging_interval="step", log_momentum=True)
    trainer = _trainer(logger=logger, log_every_n_steps=1, callbacks=[monitor])
    trainer.fit(model, loader)
    lrs = [r["lr-SGD"] for r in logger.rows if "lr-SGD" in r]
    moms = [r["lr-SGD-momentum"] for r in logger.rows if "lr-SGD-momentum" in r]
    assert lrs == [SCHEDULE(k) for k in range(STEPS)]
    assert moms == [MOMENTUM(k) for k in range(STEPS)]
    assert model.seen_momenta == moms
    assert len(trainer.lr_scheduler_configs) == 1
