"""Faults that lose nothing: NaN and inf, Ctrl-C, interrupted saves, damaged and foreign files.

The yardstick everywhere is an undisturbed run: after a fault, the trainer holds exactly
(bit for bit, on the CPU) what an undisturbed run holds at the same step, and continuing
gives exactly what the undisturbed run gives.
"""

import importlib.util
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from ganlib.checkpoint import CheckpointError
from ganlib.data import ring2d
from ganlib.interrupts import CtrlC
from ganlib.models import MLPDiscriminator, MLPGenerator
from ganlib.train import NonFiniteLossError, StopTraining, Trainer

CHILD = Path(__file__).with_name("fault_child.py")


def child_trainer(hidden):
    """The child process's trainer, built here (tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("fault_child", CHILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_trainer(hidden)
SETTINGS = {"loss": "wasserstein", "gp_weight": 1.0, "n_critic": 3, "seed": 3, "device": "cpu"}


@pytest.fixture(scope="module")
def data():
    return ring2d().sample(2048, generator=torch.Generator().manual_seed(0))


class Faulty(nn.Module):
    """Wraps a discriminator; at chosen calls (counted over the whole run) it returns a
    non-finite output, makes its input gradient NaN, or sends this process a real SIGINT."""

    def __init__(self, inner, nan_at=(), grad_nan_at=(), sigint_at=(), value=float("nan")):
        super().__init__()
        self.inner, self.value, self.calls = inner, value, 0
        self.nan_at, self.grad_nan_at, self.sigint_at = set(nan_at), set(grad_nan_at), sigint_at

    def forward(self, x):
        self.calls += 1
        for _ in range(list(self.sigint_at).count(self.calls)):
            os.kill(os.getpid(), signal.SIGINT)
        out = self.inner(x)
        if self.calls in self.nan_at:
            out = out * self.value
        if self.calls in self.grad_nan_at:  # finite output, NaN gradient with respect to x
            out = out + 0 * torch.sqrt(x - x).flatten(1).sum(1)
        return out


def make(hidden=(16, 16), **faults):
    torch.manual_seed(0)
    G = MLPGenerator(2, 2, hidden=hidden, batch_norm=True)
    D = Faulty(MLPDiscriminator(2, hidden=hidden), **faults)
    return Trainer(G, D, **SETTINGS)


def comparable(state):
    """A trainer's state_dict without what honestly differs between runs (times)."""
    state = dict(state)
    state.pop("elapsed")
    state["history"] = [{k: v for k, v in r.items() if k != "time"} for r in state["history"]]
    return state


def assert_identical(a, b, where="state"):
    """Bitwise equality of nested dicts/lists of tensors and numbers (NaN equals NaN)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.nan_to_num(7.0),
                                                                           b.nan_to_num(7.0))), where
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def reference(data, steps):
    t = make()
    t.fit(data, steps, 32, progress=False)
    return t


# ---------------------------------------------------------------------- NaN and inf
# With n_critic = 3 and the gradient penalty, a step calls D ten times: per critic
# iteration on the real batch, the fakes and the interpolates, then once for G's update.
# Steps 1-3 use calls 1-30; step 4 calls 31-40.
@pytest.mark.parametrize(
    ("faults", "named", "where"),
    [
        ({"nan_at": {31}}, "discriminator loss", "critic iteration 1 of 3"),
        ({"nan_at": {35}}, "discriminator loss", "critic iteration 2 of 3"),
        ({"nan_at": {36}}, "gradient penalty", "critic iteration 2 of 3"),
        ({"nan_at": {39}}, "gradient penalty", "critic iteration 3 of 3"),
        ({"nan_at": {40}}, "generator loss", "generator's update"),
    ],
)
@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_a_non_finite_loss_undoes_its_step_and_says_where(data, faults, named, where, value):
    straight = reference(data, 5)
    after_3 = reference(data, 3)
    t = make(value=value, **faults)
    with pytest.raises(NonFiniteLossError) as err:
        t.fit(data, 5, 32, progress=False)
    message = str(err.value)
    assert re.search(f"the {named} became (nan|-?inf) at step 4", message), message
    assert f"in the {where}" in message
    assert "those after step 3, and the history ends there" in message
    assert err.value.step == 4 and err.value.which == named
    assert_identical(comparable(t.state_dict()), comparable(after_3.state_dict()))
    t.fit(data, 2, 32, progress=False)  # the fault was transient: go on
    assert_identical(comparable(t.state_dict()), comparable(straight.state_dict()))


def test_a_nan_r1_penalty_is_named_and_undone(data):
    torch.manual_seed(0)
    G, D = MLPGenerator(2, 2, hidden=(16,)), Faulty(MLPDiscriminator(2, hidden=(16,)),
                                                    grad_nan_at={7})
    t = Trainer(G, D, r1_weight=10.0, device="cpu")
    with pytest.raises(NonFiniteLossError, match="the R1 penalty became nan at step 3"):
        t.fit(data, 5, 32, progress=False)
    assert t.step == 2 and len(t.history) == 2


def test_a_fault_keeps_the_last_good_state_in_the_checkpoint(data, tmp_path):
    t = make(nan_at={40})
    with pytest.raises(NonFiniteLossError):
        t.fit(data, 5, 32, progress=False, checkpoint=tmp_path / "ck.pt")
    resumed = make().load(tmp_path / "ck.pt")
    assert resumed.step == 3
    assert_identical(comparable(resumed.state_dict()), comparable(reference(data, 3).state_dict()))


# --------------------------------------------------------------------------- Ctrl-C
def test_one_ctrl_c_finishes_the_step_in_progress(data, tmp_path, capsys):
    t = make(sigint_at=[35])  # a real SIGINT in step 4's second critic iteration
    history = t.fit(data, 10, 32, progress=False, checkpoint=tmp_path / "ck.pt")
    assert t.interrupted and t.step == 4 and len(history) == 4
    assert "Interrupted at step 4" in capsys.readouterr().out
    assert_identical(comparable(t.state_dict()), comparable(reference(data, 4).state_dict()))
    resumed = make().load(tmp_path / "ck.pt")
    resumed.fit(data, 6, 32, progress=False)
    assert_identical(comparable(resumed.state_dict()), comparable(reference(data, 10).state_dict()))


def test_a_second_ctrl_c_stops_at_once_and_undoes_the_step(data, tmp_path):
    t = make(sigint_at=[35, 35])  # two presses in step 4's second critic iteration
    t.fit(data, 10, 32, progress=False, checkpoint=tmp_path / "ck.pt")
    assert t.interrupted and t.step == 3
    assert_identical(comparable(t.state_dict()), comparable(reference(data, 3).state_dict()))
    resumed = make().load(tmp_path / "ck.pt")
    resumed.fit(data, 7, 32, progress=False)
    assert_identical(comparable(resumed.state_dict()), comparable(reference(data, 10).state_dict()))


def test_a_second_ctrl_c_during_the_generators_update_lets_the_step_finish(data):
    t = make(sigint_at=[33, 40])  # the second press arrives in G's update of step 4
    t.fit(data, 10, 32, progress=False)
    assert t.interrupted and t.step == 4
    assert_identical(comparable(t.state_dict()), comparable(reference(data, 4).state_dict()))


def test_ctrl_c_in_a_callback_stops_after_the_step_and_the_handler_is_restored(data):
    before = signal.getsignal(signal.SIGINT)

    def interrupt(trainer, row):
        if trainer.step == 5:
            raise KeyboardInterrupt

    t = make()
    t.fit(data, 100, 32, callbacks=[interrupt], progress=False)
    assert t.interrupted and t.step == 5 and len(t.history) == 5
    assert signal.getsignal(signal.SIGINT) is before


def test_ctrl_c_at_random_moments_of_a_real_training_process(tmp_path):
    """≥ 20 real SIGINTs (single and double presses) at random moments; after each, the
    run resumes from its checkpoint in a new Trainer. It ends bit for bit where the
    uninterrupted run ends."""
    steps, env = 600, {**os.environ, "PYTHONHASHSEED": "0"}
    straight_dir, interrupted_dir = tmp_path / "straight", tmp_path / "interrupted"
    straight_dir.mkdir()
    interrupted_dir.mkdir()
    straight = subprocess.Popen([sys.executable, str(CHILD), "straight", str(straight_dir),
                                 str(steps)], env=env)
    child = subprocess.Popen([sys.executable, str(CHILD), "interrupted", str(interrupted_dir),
                              str(steps)], stdout=subprocess.PIPE, text=True, env=env)
    assert child.stdout.readline().strip() == "ready"
    rng, presses = random.Random(0), 0
    while child.poll() is None:
        time.sleep(rng.uniform(0.02, 0.12))
        for _ in range(rng.choice((1, 2))):  # a single press, or two in quick succession
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        presses += 1
    out = child.stdout.read()
    assert child.wait() == 0 and straight.wait(timeout=120) == 0, out
    stops = out.count("stopped at step")
    assert stops >= 20, f"only {stops} of {presses} presses stopped training:\n{out}"
    print(f"{presses} presses, {stops} stops inside fit; {out.splitlines()[-1]}")
    final = {d: torch.load(d / "final.pt", weights_only=True)
             for d in (straight_dir, interrupted_dir)}
    assert final[straight_dir]["step"] == steps
    assert_identical(comparable(final[interrupted_dir]), comparable(final[straight_dir]))


# ----------------------------------------------------------------------- checkpoints
def test_each_periodic_checkpoint_holds_its_steps_history_row(data, tmp_path, monkeypatch):
    copies = {}
    save = Trainer.save

    def save_and_copy(self, path):
        out = save(self, path)
        copies[self.step] = tmp_path / f"at_{self.step}.pt"
        copies[self.step].write_bytes(Path(path).read_bytes())
        return out

    monkeypatch.setattr(Trainer, "save", save_and_copy)
    make().fit(data, 12, 32, progress=False, checkpoint=tmp_path / "ck.pt", checkpoint_every=5)
    monkeypatch.undo()
    assert sorted(copies) == [5, 10, 12]
    for step, path in copies.items():
        state = torch.load(path, weights_only=True)
        assert [r["step"] for r in state["history"]] == list(range(1, step + 1))
    resumed = make().load(copies[5])  # as if the process had died after step 5
    resumed.fit(data, 7, 32, progress=False)
    assert_identical(comparable(resumed.state_dict()), comparable(reference(data, 12).state_dict()))


def test_a_crash_in_a_callback_keeps_the_completed_steps_in_the_checkpoint(data, tmp_path):
    def crash(trainer, row):
        if trainer.step == 6:
            raise RuntimeError("a bug in the callback")

    with pytest.raises(RuntimeError, match="a bug in the callback"):
        make().fit(data, 20, 32, progress=False, callbacks=[crash], checkpoint=tmp_path / "ck.pt")
    assert make().load(tmp_path / "ck.pt").step == 6


def test_stop_training_from_a_callback_saves_and_returns(data, tmp_path):
    def stop(trainer, row):
        if trainer.step == 3:
            raise StopTraining

    t = make()
    t.fit(data, 20, 32, progress=False, callbacks=[stop], checkpoint=tmp_path / "ck.pt")
    assert t.step == 3 and not t.interrupted and make().load(tmp_path / "ck.pt").step == 3


def everything(t):
    """Every tensor and number a trainer holds, copied."""
    state = t.state_dict()
    return comparable({**{k: v for k, v in state.items() if k != "history"},
                       "history": [dict(r) for r in state["history"]],
                       "snapshots": list(t.snapshots)})


@pytest.fixture
def trained(data, tmp_path):
    """A trainer after 4 steps, and a checkpoint of a different run after 2 steps."""
    other = make()
    other.fit(data, 2, 32, progress=False, snapshot_every=1)
    path = other.save(tmp_path / "other.pt")
    t = make()
    t.fit(data, 4, 32, progress=False, snapshot_every=2)
    return t, path


def edited(path, tmp_path, edit):
    state = torch.load(path, weights_only=True)
    edit(state)
    torch.save(state, tmp_path / "edited.pt")
    return tmp_path / "edited.pt"


@pytest.mark.parametrize(
    ("edit", "error", "message"),
    [
        (lambda s: s["discriminator"].update(
            {k: torch.zeros(3, 3) for k in list(s["discriminator"])[-1:]}),
         ValueError, r"discriminator does not match this discriminator's architecture — shape"),
        (lambda s: s["discriminator"].pop(next(iter(s["discriminator"]))),
         ValueError, "missing from the checkpoint"),
        (lambda s: s["config"].update(loss="hinge"),
         ValueError, r"different set-up: loss 'hinge' in the checkpoint, 'wasserstein' in this"),
        (lambda s: s["config"].update(d_optimizer="RMSprop"),
         ValueError, r"d_optimizer 'RMSprop' in the checkpoint, 'Adam' in this trainer"),
        (lambda s: s["config"].update(latent_dim=8),
         ValueError, r"latent_dim 8 in the checkpoint, 2 in this trainer"),
        (lambda s: s["d_optimizer"]["param_groups"].append(dict(s["d_optimizer"]["param_groups"][0])),
         CheckpointError, r"could not be loaded into this trainer, which is unchanged"),
        (lambda s: s.update(noise_rng=torch.zeros(3, dtype=torch.uint8)),
         CheckpointError, r"could not be loaded into this trainer, which is unchanged"),
        (lambda s: s.pop("data_perm"),
         CheckpointError, r"not a complete ganlib checkpoint: 'data_perm' is NoneType"),
        (lambda s: s.update(format=1),
         CheckpointError, r"format 1; this ganlib reads format 2"),
    ],
)
def test_a_failed_load_changes_nothing(trained, tmp_path, edit, error, message):
    t, path = trained
    before = everything(t)
    with pytest.raises(error, match=message):
        t.load(edited(path, tmp_path, edit))
    assert_identical(everything(t), before)
    t.load(path)  # the intact file still loads
    assert t.step == 2


@pytest.mark.parametrize(
    "damage",
    ["empty", "truncated_early", "truncated_middle", "truncated_late", "random", "text", "json"],
)
def test_a_damaged_file_is_one_clear_error_naming_it(trained, tmp_path, damage):
    t, path = trained
    good = path.read_bytes()
    content = {
        "empty": b"",
        "truncated_early": good[:10],
        "truncated_middle": good[: len(good) // 2],
        "truncated_late": good[:-30],
        "random": random.Random(0).randbytes(5000),
        "text": b"step,d_loss,g_loss\n1,1.38,0.69\n",
        "json": b'{"format": 2, "step": 4}',
    }[damage]
    bad = tmp_path / f"{damage}.pt"
    bad.write_bytes(content)
    before = everything(t)
    with pytest.raises(CheckpointError, match=rf"{bad}.* not a (complete )?ganlib checkpoint"):
        t.load(bad)
    assert_identical(everything(t), before)


def test_missing_files_and_folders_are_file_not_found(trained, tmp_path):
    t, _ = trained
    for where in (tmp_path / "missing.pt", tmp_path):
        with pytest.raises(FileNotFoundError, match="no ganlib checkpoint at"):
            t.load(where)


def test_a_torch_file_that_is_not_a_checkpoint(trained, tmp_path):
    t, _ = trained
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a ganlib checkpoint"):
        t.load(tmp_path / "other.pt")


def test_malicious_pickles_are_refused(trained, tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this code ran while loading",))

    t, _ = trained
    torch.save({"format": 2, "payload": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(pickle.UnpicklingError, match="refused to load .*evil.pt"):
        t.load(tmp_path / "evil.pt")


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temporary_file(trained, tmp_path,
                                                                       monkeypatch):
    t, path = trained
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        t.save(path)
    assert path.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.pt"]


def test_a_save_killed_mid_write_leaves_no_temporary_file_after_the_next_save(tmp_path):
    """kill -9 while a ~13 MB checkpoint is being written, twice: the file is always
    complete (old or new), and the next save removes what the killed one left."""
    seen_temporary = 0
    for trial in range(2):
        saver = subprocess.Popen([sys.executable, str(CHILD), "saver", str(tmp_path)],
                                 stdout=subprocess.PIPE, text=True)
        assert saver.stdout.readline().strip() == "saving"
        time.sleep(0.3 + 0.4 * trial)
        saver.kill()
        saver.wait()
        seen_temporary += bool(list(tmp_path.glob(".ck.pt.*.tmp")))
        t = child_trainer(hidden=(512, 512, 512))
        if (tmp_path / "ck.pt").exists():
            t.load(tmp_path / "ck.pt")  # complete: it loads
        t.save(tmp_path / "ck.pt")
        assert [p.name for p in tmp_path.iterdir()] == ["ck.pt"]
    print(f"a temporary file was left by {seen_temporary} of 2 kills")


def test_a_stale_temporary_file_is_removed_by_the_next_save(trained, tmp_path):
    t, path = trained
    stale = tmp_path / f".{path.name}.abc123.tmp"
    stale.write_bytes(b"half a checkpoint")
    t.save(path)
    assert not stale.exists() and path.exists()


def test_ctrl_c_counts_presses_raises_on_the_second_outside_a_shield_and_restores_the_handler():
    before = signal.getsignal(signal.SIGINT)
    with CtrlC() as ctrl_c:
        os.kill(os.getpid(), signal.SIGINT)
        assert ctrl_c.pressed == 1  # the first press only counts
        with ctrl_c.shield():
            os.kill(os.getpid(), signal.SIGINT)
            assert ctrl_c.pressed == 2  # shielded: counted, not raised
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with CtrlC() as ctrl_c:  # Ctrl-C ignored by the process: stays ignored
            os.kill(os.getpid(), signal.SIGINT)
            assert ctrl_c.pressed == 0
    finally:
        signal.signal(signal.SIGINT, before)
