"""A training process for tests/test_faults.py to interrupt and kill.

python tests/fault_child.py straight OUT STEPS     train STEPS steps, save OUT/final.pt
python tests/fault_child.py interrupted OUT STEPS  the same run, resumed from OUT/run.pt after
                                                  every Ctrl-C, in a new Trainer each time
python tests/fault_child.py saver OUT             save a large checkpoint to OUT/ck.pt again
                                                  and again, until killed
"""

import signal
import sys
from pathlib import Path

import torch

from ganlib.data import ring2d
from ganlib.models import MLPDiscriminator, MLPGenerator
from ganlib.train import Trainer

FIT = {"batch_size": 32, "log_every": 3, "checkpoint_every": 7, "progress": False}


def make_trainer(hidden=(32, 32)) -> Trainer:
    torch.manual_seed(0)
    G = MLPGenerator(2, 2, hidden=hidden, batch_norm=True)
    D = MLPDiscriminator(2, hidden=hidden)
    return Trainer(G, D, loss="wasserstein", gp_weight=1.0, n_critic=2, seed=3, device="cpu")


def main() -> None:
    torch.set_num_threads(1)
    mode, out = sys.argv[1], Path(sys.argv[2])
    data = ring2d().sample(1024, generator=torch.Generator().manual_seed(0))
    if mode == "straight":
        trainer = make_trainer()
        trainer.fit(data, int(sys.argv[3]), checkpoint=out / "straight.pt", **FIT)
        trainer.save(out / "final.pt")
    elif mode == "interrupted":
        total, checkpoint, stops, outside = int(sys.argv[3]), out / "run.pt", 0, 0
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C only counts inside fit
        print("ready", flush=True)
        while True:
            trainer = make_trainer()
            if checkpoint.exists():
                trainer.load(checkpoint)
            if trainer.step >= total:
                break
            try:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                trainer.fit(data, total - trainer.step, checkpoint=checkpoint, **FIT)
            except KeyboardInterrupt:  # between the line above and fit's own handler
                outside += 1
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            if trainer.interrupted:
                stops += 1
                print(f"stopped at step {trainer.step}", flush=True)
        trainer.save(out / "final.pt")
        print(f"done: {stops} stops inside fit, {outside} before it", flush=True)
    elif mode == "saver":
        trainer = make_trainer(hidden=(512, 512, 512))  # about 13 MB with Adam's state
        trainer.fit(data, 1, **{**FIT, "checkpoint_every": 0})
        print("saving", flush=True)
        while True:
            trainer.save(out / "ck.pt")
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
