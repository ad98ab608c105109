"""The GPU run-book's dry run (tools/gpu_check.py --dry-run) and its report writer
(tools/gpu_report.py): the script must run its three steps and write its report on a CPU,
so that it cannot rot while no GPU is at hand."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import gpu_report
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gpu-check")
    done = subprocess.run([sys.executable, "tools/gpu_check.py", "--dry-run", "--out", str(out),
                           "--budget", "240"], cwd=ROOT, capture_output=True, text=True,
                          timeout=280)  # under pytest-timeout's 300 s
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "gpu-check: report and results in" in done.stdout
    return out


@pytest.mark.slow
def test_the_dry_run_takes_every_step(dry_run):
    results = json.loads((dry_run / "results.json").read_text())
    assert results["machine"]["dry_run"] and results["wall_s"] < results["budget_s"]
    tests = results["cuda_tests"]
    assert tests["rc"] == 0 and tests.get("skipped", 0) >= 1  # the cuda tests skip on a CPU
    ran = [e for e in results["speed"] if e["status"] == "ok"]
    assert [e["config"] for e in ran] == [
        "torch Adam (unfused), fp32", "Trainer defaults: fp32, fused Adam",
        "bf16 autocast + channels-last"]
    assert ran[0]["machine"]["ganlib_options"] == "unfused Adam"
    assert ran[2]["machine"]["ganlib_options"] == "bf16, channels_last"
    assert all(r["ganlib_ips"]["median"] > 0 for e in ran for r in e["results"])
    notebooks = results["notebooks"]
    assert [n["path"] for n in notebooks] == ["notebooks/00_setup.ipynb",
                                              "notebooks/01_minimax.ipynb"]
    assert all(n["status"] == "ok" and n["checked_cells"] > 0 for n in notebooks)
    report = (dry_run / "report.md").read_text()
    assert "dry run on the CPU" in report and "| notebooks/01_minimax.ipynb | ok |" in report


@pytest.mark.slow
def test_the_report_lands_in_the_readme_and_bench_readme(dry_run, tmp_path):
    readme, bench = tmp_path / "README.md", tmp_path / "bench.md"
    readme.write_text((ROOT / "README.md").read_text())
    bench.write_text((ROOT / "bench" / "README.md").read_text())
    args = [str(dry_run), "--readme", str(readme), "--bench-readme", str(bench)]
    assert gpu_report.main(args) == 1  # a dry run's CPU figures are refused by default
    assert gpu_report.main([*args, "--allow-dry-run"]) == 0
    rows = [line for line in readme.read_text().splitlines()  # the chapter table's rows
            if re.match(r"\| \d \| \[", line)]
    assert len(rows) == 8
    minimax = next(line for line in rows if "01_minimax" in line)
    assert gpu_report.CELL.split(minimax)[6].strip().endswith("(none (CPU dry run))")
    assert sum("not yet measured" in line for line in rows) == len(rows) - 2
    text = bench.read_text()
    block = text[text.index(gpu_report.GPU_START):text.index(gpu_report.GPU_END)]
    assert "#### GPU check" in block and "bf16 autocast + channels-last" in block
    assert "##### Training speed" in block  # every heading below bench's "### GPU figures"
    # the rest of both files is untouched
    assert text.replace(block, gpu_report.GPU_START) == (
        (ROOT / "bench" / "README.md").read_text().replace(
            gpu_report.GPU_START + "\n", gpu_report.GPU_START))


@pytest.mark.parametrize("name, short", [
    ("NVIDIA H100 80GB HBM3", "H100"), ("NVIDIA H200", "H200"),
    ("NVIDIA A100-SXM4-40GB", "A100"), ("Tesla T4", "T4"), ("none (CPU dry run)",
                                                             "none (CPU dry run)")])
def test_short_gpu_names(name, short):
    assert gpu_report.short_gpu(name) == short


@pytest.mark.slow
def test_a_second_call_adds_to_the_folder(dry_run, tmp_path):
    import shutil

    folder = tmp_path / "gpu-check"
    shutil.copytree(dry_run, folder)
    before = json.loads((folder / "results.json").read_text())
    done = subprocess.run([sys.executable, "tools/gpu_check.py", "--dry-run", "--out",
                           str(folder), "--steps", "notebooks", "--notebooks",
                           "notebooks/00_setup.ipynb", "--budget", "120"],
                          cwd=ROOT, capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stdout[-3000:]
    after = json.loads((folder / "results.json").read_text())
    assert after["speed"] == before["speed"] and after["cuda_tests"] == before["cuda_tests"]
    assert [n["path"] for n in after["notebooks"]] == [n["path"] for n in before["notebooks"]]
    assert after["notebooks"][1] == before["notebooks"][1]  # chapter 1 kept as it was
    assert after["notebooks"][0]["status"] == "ok"
