"""Smoke tests of the benchmark scripts in bench/ (the benchmarks themselves never run in CI).

Each script must start and finish on its ``--tiny`` settings; the speed benchmark's
reference loop must train the same networks with the same algorithm as ganlib's Trainer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"


def _run(script: str, tmp_path: Path, *extra: str) -> dict:
    out = tmp_path / f"{script}.json"
    env = {**os.environ, "GANLIB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    res = subprocess.run(
        [sys.executable, str(BENCH / script), "--tiny", "--threads", "1", "--json", str(out),
         *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert "| " in res.stdout  # the markdown table was printed
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def speed():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_speed", BENCH / "speed.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCH))


def test_speed_script_runs_on_tiny_settings(tmp_path):
    out = _run("speed.py", tmp_path)
    (res,) = out["results"]
    assert res["size"] == 28 and res["batch_size"] == 8
    for key in ("reference_ips", "ganlib_ips", "ganlib_fresh_ips", "ratio", "fresh_ratio"):
        assert res[key]["n"] == 2 and res[key]["median"] > 0
    assert set(res["memory"]) == {"reference", "ganlib", "ganlib_fresh"}
    assert out["machine"]["torch"] == torch.__version__


def test_time_to_quality_script_runs_on_tiny_settings(tmp_path):
    out = _run("time_to_quality.py", tmp_path)
    tasks = {r["task"] for r in out["runs"]}
    assert {"ring", "grid"} <= tasks
    for run in out["runs"]:
        assert run["steps_run"] == 4 and len(run["trajectory"]) == 2
    if "mnist" in tasks:
        assert 0 < out["real_floor"]["confidence"] <= 1


def test_time_to_quality_runs_the_mnist_task_with_the_r1_penalty(tmp_path):
    out = _run("time_to_quality.py", tmp_path, "--tasks", "mnist", "--mnist-r1", "10")
    (run,) = out["runs"]
    assert run["setting"].endswith("D none norm R1 γ=10") and run["steps_run"] == 4


def test_time_to_quality_drops_batch_norm_without_the_penalty_on_request(tmp_path):
    out = _run("time_to_quality.py", tmp_path, "--tasks", "mnist", "--mnist-d-norm", "none")
    (run,) = out["runs"]
    assert run["setting"].endswith("D none norm") and run["steps_run"] == 4


def test_time_to_quality_trains_32_px_networks_at_a_given_learning_rate(tmp_path):
    out = _run("time_to_quality.py", tmp_path, "--tasks", "mnist", "--mnist-size", "32",
               "--mnist-lr", "4e-4", "--mnist-r1", "10")
    (run,) = out["runs"]
    assert run["setting"].startswith("DCGAN 32 px") and "lr 0.0004" in run["setting"]
    assert run["steps_run"] == 4


@pytest.mark.slow
def test_mode_collapse_script_writes_its_table_and_resumes(tmp_path):
    out, js = tmp_path / "table.md", tmp_path / "runs.json"
    res = subprocess.run(
        [sys.executable, str(BENCH / "mode_collapse.py"), "--tiny", "--methods", "GAN",
         "PacGAN2", "--out", str(out), "--json", str(js), "--workers", "1"],
        cwd=ROOT, env={**os.environ, "GANLIB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    text = out.read_text()
    assert "| GAN |" in text and "| PacGAN2 |" in text and "PacGAN's Table 1" in text
    assert "--tiny" in text and "Machine:" in text
    assert "on a fresh batch of noise (Algorithm 1" in text
    runs = json.loads(js.read_text())["runs"]
    assert len(runs) == 4 and {r["steps"] for r in runs} == {4}
    # --resume keeps the runs already done and trains only the missing ones.
    out2, js2 = tmp_path / "table2.md", tmp_path / "runs2.json"
    res = subprocess.run(
        [sys.executable, str(BENCH / "mode_collapse.py"), "--tiny", "--methods", "GAN",
         "PacGAN2", "PacGAN3", "--out", str(out2), "--json", str(js2), "--workers", "1",
         "--resume", str(js)],
        cwd=ROOT, env={**os.environ, "GANLIB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "resuming: 4 runs" in res.stdout and "[  2/2] PacGAN3" in res.stdout
    runs2 = json.loads(js2.read_text())["runs"]
    assert len(runs2) == 6 and runs2[:4] == runs
    assert "runs kept from its JSON by" in out2.read_text()  # both commands are named


@pytest.mark.parametrize("size", [28, 32, 64])
def test_reference_nets_are_ganlibs_with_a_sigmoid(speed, size):
    G, D, refG, refD = speed.make_models(size, 3 if size == 64 else 1, 8, seed=0)
    images = torch.rand(8, 3 if size == 64 else 1, size, size) * 2 - 1
    assert speed.check_equivalent(G, D, refG, refD, images) < 1e-6
    assert isinstance(refD.main[-1], torch.nn.Sigmoid)


def test_one_step_of_each_loop_makes_the_same_update(speed):
    """Same batch, same noise: the canonical loop and the Trainer reach the same weights."""
    size, bs = 28, 16
    images = torch.rand(bs, 1, size, size) * 2 - 1
    G, D, refG, refD = speed.make_models(size, 1, 8, seed=0)
    ours = speed.GanlibLoop(G, D, images, bs, torch.device("cpu"))
    assert ours.trainer.reuse_fakes  # like with like: the example reuses its fakes
    ref = speed.ReferenceLoop(refG, refD, images, bs, torch.device("cpu"), workers=0)
    ref._iter = iter([(images,)])  # the whole data set is the one batch
    torch.manual_seed(ours.trainer.seed + 1)  # the Trainer's noise generator's seed
    ref.run(1)
    ours.run(1)  # its batch is a permutation of the same images: same losses
    for mine, theirs in ((G, refG), (D, refD)):
        a = torch.cat([p.detach().flatten() for p in mine.parameters()])
        b = torch.cat([p.detach().flatten() for p in theirs.parameters()])
        # Adam's first step moves every weight by about lr = 2e-4: a wrong sign or a
        # missed update would show as a difference of that size.
        assert float((a - b).abs().max()) < 2e-5


def test_wgan_gp_lambda_script_writes_every_run_and_the_summary(tmp_path):
    out, js = tmp_path / "lambda.md", tmp_path / "lambda.json"
    res = subprocess.run(
        [sys.executable, str(BENCH / "wgan_gp_lambda.py"), "--tiny", "--workers", "1",
         "--out", str(out), "--json", str(js)],
        cwd=ROOT, env={**os.environ, "GANLIB_OFFLINE": "1"}, capture_output=True, text=True,
        timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    runs = json.loads(js.read_text())["runs"]
    names = ["λ = 10 (paper)", "λ = 0.1", "λ = 10, 25 critic steps", "λ = 10, data × 100"]
    assert sorted(r["run"] for r in runs) == sorted(names) and {r["steps"] for r in runs} == {4}
    text = out.read_text()
    for name in names:
        assert f"| {name} |" in text
    assert "Machine:" in text and "--tiny" in text


def test_wgan_gp_lambda_scaled_generator_changes_only_the_units():
    spec = importlib.util.spec_from_file_location("wgan_gp_lambda", BENCH / "wgan_gp_lambda.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from ganlib.models import MLPGenerator

    G = MLPGenerator(2, 2, hidden=(8,))
    scaled = module.Scaled(G, 100.0)
    z = torch.randn(5, 2)
    assert scaled.latent_dim == 2
    assert torch.allclose(scaled(z), 100.0 * G(z))
    assert list(scaled.parameters()) == list(G.parameters())  # no weight of its own


def test_dcgan_ablation_runs_its_rows_and_rebuilds_the_report_from_their_json(tmp_path):
    env = {**os.environ, "GANLIB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    rows = ["section 5's settings", "without the extra layer"]
    out = tmp_path / "ablation.md"
    res = subprocess.run(
        [sys.executable, str(BENCH / "dcgan_ablation.py"), "--tiny", "--rows", *rows,
         "--json-dir", str(tmp_path / "runs"), "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    table = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table[1:]] == rows
    saved = [json.loads(p.read_text()) for p in sorted((tmp_path / "runs").glob("*.json"))]
    assert sorted(len(data["runs"]) for data in saved) == [1, 1]  # --tiny: one seed per row
    # the report alone, from the saved runs, is the same report
    again = tmp_path / "again.md"
    files = sorted(str(p) for p in (tmp_path / "runs").glob("*.json"))
    subprocess.run([sys.executable, str(BENCH / "dcgan_ablation.py"), "--report", *files,
                    "--out", str(again)], cwd=ROOT, env=env, check=True, capture_output=True)
    assert again.read_text() == out.read_text()


def test_conditional_runs_the_designs_and_rebuilds_the_report_from_their_json(tmp_path):
    env = {**os.environ, "GANLIB_OFFLINE": "1", "MPLBACKEND": "Agg"}
    runs = tmp_path / "runs.json"
    res = subprocess.run(
        [sys.executable, str(BENCH / "conditional.py"), "--tiny", "--designs", "projection",
         "acgan", "--seeds", "0", "--json", str(runs)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    saved = json.loads(runs.read_text())["runs"]
    assert [(r["design"], r["seed"], r["steps"]) for r in saved] == [("projection", 0, 20),
                                                                    ("acgan", 0, 20)]
    assert all(len(r["class_fd_over_floor"]) == 10 and 0 <= r["accuracy"] <= 1 for r in saved)
    out = tmp_path / "report.md"
    subprocess.run([sys.executable, str(BENCH / "conditional.py"), "--report", str(runs),
                    "--out", str(out)], cwd=ROOT, env=env, check=True, capture_output=True)
    table = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table] == [
        "design", "projection", "acgan", "design", "projection", "acgan"]
