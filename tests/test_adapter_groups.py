"""ScheduleLR with param groups added after construction, several keys in one scheduler
(``also=``), and its public plateau state with a warmup ignored by the plateau."""

import math
import warnings

import pytest
import torch

import lrsched
from lrsched.torch import ScheduleLR

S = lrsched.warmup_cosine(1.0, 100, 10)


def _param():
    return torch.nn.Parameter(torch.zeros(1))


def _ref_warmup_cosine(k, peak=1.0, total=100, warm=10):
    """warmup_cosine from its formula: linear 0 -> peak over warm steps, then a cosine to 0."""
    if k < warm:
        return peak * k / warm
    t = min(k - warm, total - warm) / (total - warm)
    return peak * 0.5 * (1.0 + math.cos(math.pi * t))


# --------------------------------------------------------------------------------------------
# param groups added to the optimizer later
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lrs", [(1e-3, 1e-4), (0.5, 2.0), (1.0, 1.0)])
@pytest.mark.parametrize("opt_cls", [torch.optim.SGD, torch.optim.AdamW])
def test_added_group_follows_a_shared_relative_schedule_scaled_by_its_lr(lrs, opt_cls):
    opt = opt_cls([_param()], lr=lrs[0])
    sched = ScheduleLR(opt, S, relative=True)
    for _ in range(3):
        opt.step()
        sched.step()
    opt.add_param_group({"params": [_param()], "lr": lrs[1]})
    for k in range(4, 15):
        sched.step()
        want = [lrs[0] * _ref_warmup_cosine(k), lrs[1] * _ref_warmup_cosine(k)]
        assert sched.get_last_lr() == pytest.approx(want, rel=1e-12, abs=1e-18)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    assert opt.param_groups[1]["initial_lr"] == lrs[1]
    assert sched.base_lrs == list(lrs)


@pytest.mark.parametrize("n_new", [1, 2, 3])
def test_added_groups_follow_a_shared_absolute_schedule(n_new):
    opt = torch.optim.SGD([_param()], lr=0.3)
    sched = ScheduleLR(opt, S)
    for _ in range(n_new):
        opt.add_param_group({"params": [_param()], "lr": 5.0})
    sched.set_step(20)
    assert sched.get_last_lr() == [pytest.approx(_ref_warmup_cosine(20), rel=1e-12)] * (n_new + 1)
    assert len(sched.state_dict()["schedules"]) == n_new + 1


def test_added_group_shares_a_plateau_given_for_all():
    opt = torch.optim.SGD([_param()], lr=1.0)
    sched = ScheduleLR(opt, lrsched.constant(0.2), plateau=lrsched.Plateau(0.5, 0))
    opt.add_param_group({"params": [_param()]})
    sched.step(1.0)
    sched.step(2.0)  # worse: the one plateau halves every group
    assert sched.get_last_lr() == [0.1, 0.1]
    assert len(sched.plateau_states) == 1


@pytest.mark.parametrize("spec", [[S], {0: S}, [lrsched.constant(0.1)]], ids=["list", "dict", "other"])
def test_per_group_schedules_and_a_new_group_raise_naming_add_group(spec):
    opt = torch.optim.SGD([_param()], lr=1.0)
    sched = ScheduleLR(opt, spec)
    opt.add_param_group({"params": [_param()]})
    with pytest.raises(RuntimeError, match=r"param group 1 .*sched\.add_group\(schedule\)"):
        sched.step()
    with pytest.raises(RuntimeError, match="add_group"):
        sched.set_step(3)


def test_add_group_names_the_schedules_of_new_groups_in_order():
    opt = torch.optim.SGD([_param()], lr=1.0, momentum=0.9)
    sched = ScheduleLR(opt, [lrsched.constant(0.1)], plateau=[lrsched.Plateau(0.5, 0)])
    opt.add_param_group({"params": [_param()], "lr": 7.0})
    opt.add_param_group({"params": [_param()], "lr": 8.0})
    opt.add_param_group({"params": [_param()], "lr": 9.0})
    sched.add_group(lrsched.constant(0.5), plateau=lrsched.Plateau(0.25, 0))
    sched.add_group(None)
    sched.add_group(lrsched.linear(1.0, 0.0, 10), also={"momentum": lrsched.constant(0.8)})
    sched.step(1.0)
    assert sched.get_last_lr() == [0.1, 0.5, 8.0, 0.9]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9, 0.9, 0.8]
    sched.step(2.0)  # worse for the first plateau; the new one (taken in after 1.0) starts here
    assert sched.get_last_lr() == [0.05, 0.5, 8.0, 0.8]
    sched.step(3.0)  # worse for both: each group's own plateau
    assert sched.get_last_lr() == [0.025, 0.125, 8.0, 0.7]
    assert len(sched.plateau_states) == 2


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        ({"schedule": 0.1}, TypeError, "schedule"),
        ({"schedule": S, "plateau": 0.5}, TypeError, "plateau"),
        ({"schedule": S, "also": {"momentum": 0.9}}, TypeError, "also"),
        ({"schedule": S, "also": {"lr": S}}, TypeError, "also"),
    ],
)
def test_add_group_checks_its_arguments(kwargs, exc, name):
    sched = ScheduleLR(torch.optim.SGD([_param()], lr=1.0), [S])
    with pytest.raises(exc, match=rf"^{name}"):
        sched.add_group(**kwargs)


# --------------------------------------------------------------------------------------------
# also=: several keys, one scheduler
# --------------------------------------------------------------------------------------------
MOM = lrsched.cosine(0.85, 0.95, 100)


def _ref_cosine(k, start, end, total):
    t = min(k, total) / total
    return end + (start - end) * 0.5 * (1.0 + math.cos(math.pi * t))


@pytest.mark.parametrize("k", [0, 1, 37, 100, 150])
def test_also_drives_momentum_with_the_lr(k):
    opt = torch.optim.SGD([_param()], lr=1.0, momentum=0.5)
    sched = ScheduleLR(opt, S, also={"momentum": MOM}, last_step=k - 1)
    g = opt.param_groups[0]
    assert g["momentum"] == pytest.approx(_ref_cosine(k, 0.85, 0.95, 100), rel=1e-12)
    assert g["lr"] == pytest.approx(_ref_warmup_cosine(k), rel=1e-12, abs=1e-18)
    assert sched.get_last_lr() == [g["lr"]]


def test_also_per_group_by_name_relative_and_betas():
    opt = torch.optim.AdamW(
        [{"params": [_param()], "name": "lr", "weight_decay": 0.1}, {"params": [_param()], "name": "head"}],
        lr=1.0,
        weight_decay=0.01,
    )
    sched = ScheduleLR(
        opt,
        S,
        relative=True,
        also={"weight_decay": {"head": lrsched.constant(0.5)}, "beta1": lrsched.constant(0.5)},
    )
    g0, g1 = opt.param_groups
    assert (g0["weight_decay"], g1["weight_decay"]) == (0.1, 0.01 * 0.5)
    assert g1["initial_weight_decay"] == 0.01 and "initial_weight_decay" not in g0
    assert (g0["betas"][0], g1["betas"][0]) == (0.9 * 0.5, 0.9 * 0.5)
    assert g0["betas"][1] == 0.999
    sched.set_step(30)
    assert g0["lr"] == pytest.approx(_ref_warmup_cosine(30), rel=1e-12)
    assert (g0["weight_decay"], g1["weight_decay"]) == (0.1, 0.01 * 0.5)


@pytest.mark.parametrize(
    "also, exc, match",
    [
        ({"lr": MOM}, ValueError, r"^also\['lr'\]"),
        ({"dampening_x": MOM}, ValueError, r"^also\['dampening_x'\]"),
        ({"momentum": 0.9}, TypeError, r"^also\['momentum'\]"),
        ({1: MOM}, TypeError, r"^also\[1\]"),
        ([MOM], TypeError, r"^also="),
        ({"momentum": [MOM, MOM]}, ValueError, r"^also\['momentum'\]"),
    ],
)
def test_also_is_validated(also, exc, match):
    opt = torch.optim.SGD([_param()], lr=1.0, momentum=0.9)
    with pytest.raises(exc, match=match):
        ScheduleLR(opt, S, also=also)


def test_also_in_state_dict_and_a_changed_one_warns():
    opt = torch.optim.SGD([_param()], lr=1.0, momentum=0.9)
    sched = ScheduleLR(opt, S, also={"momentum": MOM})
    sched.set_step(40)
    sd = sched.state_dict()
    assert sd["also"] == {"momentum": [lrsched.to_dict(MOM)]}
    fresh = ScheduleLR(opt, S, also={"momentum": MOM})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh.load_state_dict(sd)
    assert opt.param_groups[0]["momentum"] == MOM(40)
    other = ScheduleLR(opt, S, also={"momentum": lrsched.constant(0.9)})
    with pytest.warns(UserWarning, match="saved schedule differs"):
        other.load_state_dict(sd)
    plain = ScheduleLR(opt, S)
    with pytest.warns(UserWarning, match="saved schedule differs"):
        plain.load_state_dict(sd)


def test_old_state_dict_without_also_or_seen_loads_silently():
    opt = torch.optim.SGD([_param()], lr=1.0)
    p = lrsched.Plateau(0.5, 1)
    sched = ScheduleLR(opt, S, plateau=p)
    sd = sched.state_dict()
    del sd["also"], sd["also_bases"]
    del sd["plateau_states"][0]["seen"]
    del sd["plateaus"][0]["ignore_first"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ScheduleLR(opt, S, plateau=p).load_state_dict(sd)


# --------------------------------------------------------------------------------------------
# the plateau's state, and a plateau after a warmup
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("warm", [1, 3, 5])
def test_plateau_after_warmup_ignores_the_warmup_metrics(warm):
    opt = torch.optim.SGD([_param()], lr=1.0)
    p = lrsched.Plateau(factor=0.5, patience=1, ignore_first=warm)
    sched = ScheduleLR(opt, lrsched.warmup(lrsched.constant(1e-3), warm), plateau=p)
    # during the warmup the loss rises; ignored, it sets no best and counts no bad epoch
    losses = [10.0 + i for i in range(warm)] + [5.0, 6.0, 6.0, 4.0]
    scales = []
    for loss in losses:
        sched.step(loss)
        scales.append(sched.plateau_states[0].scale)
    assert scales == [1.0] * warm + [1.0, 1.0, 0.5, 0.5]
    st = sched.plateau_states[0]
    assert (st.best, st.num_bad, st.seen) == (4.0, 0, warm)
    assert sched.get_last_lr() == [1e-3 * 0.5]
    assert (
        f"plateau_states=[PlateauState(scale=0.5, best=4.0, num_bad=0, cooldown_left=0, level=0.5, seen={warm})]"
        in repr(sched)
    )


def test_plateau_states_is_a_copy_and_repr_without_plateau_has_none():
    opt = torch.optim.SGD([_param()], lr=1.0)
    sched = ScheduleLR(opt, S, plateau=[lrsched.Plateau(0.5, 0)])
    sched.plateau_states.clear()
    assert len(sched.plateau_states) == 1
    assert "plateau_states" not in repr(ScheduleLR(opt, S))
    assert "also={'momentum'" not in repr(ScheduleLR(opt, S))
