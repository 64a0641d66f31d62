"""Whole-process import figures for docs/benchmarks.md.

1. `qualcode init` + `qualcode import` of a ~3 MB transcript, against a process that only
   loads the pure-Python jieba and segments the same file (goal: ours at most half its time).
2. Re-opening the already segmented transcript (goal: no segmentation at all).
3. Importing 300 transcripts of 10,000 characters.
4. Peak memory (the child process's ``ru_maxrss``, from ``os.wait4``) and time of
   `qualcode import` of one transcript of 2, 20 and 200 MB into a new project (goal: peak
   under 10 times the file's size at 200 MB).

Run: .venv/bin/python benchmarks/import_speed.py [--memory-only] [SIZES_MB...]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLES = [
    REPO / "transcripts" / name for name in ("A01_zhang.txt", "A04_chen.txt", "A05_zhao.txt")
]


def sample_body() -> str:
    """Real interview turns from the sample study (UTF-8 files)."""
    text = "\n\n".join(p.read_text(encoding="utf-8-sig") for p in SAMPLES)
    turns = [block for block in text.split("\n\n") if block.startswith(("访谈者：", "受访者："))]
    return "\n\n".join(turns) + "\n\n"


PAIRS = 5


def timed(command: list[str], repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def import_peak(project: Path, source: Path) -> tuple[float, float]:
    """(seconds, peak resident MB) of one `qualcode import` process."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "import", str(project), str(source)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"import of {source} failed with status {child.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024  # KiB on Linux


def memory(sizes_mb: list[int]) -> None:
    body = sample_body()
    print("peak memory of `qualcode import` (one process, a new project):")
    print("| file | characters | seconds | peak RSS | peak / file size |")
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in sizes_mb:
            source = folder / f"big_{size}mb.txt"
            with open(source, "w", encoding="utf-8") as handle:
                handle.writelines(body for _ in range(size * 1_000_000 // len(body.encode()) + 1))
            project = folder / f"m{size}"
            subprocess.run(
                [sys.executable, "-m", "qualcode", "init", str(project)],
                check=True,
                capture_output=True,
            )
            seconds, peak = import_peak(project, source)
            file_mb = source.stat().st_size / 2**20
            chars = len(body) * (size * 1_000_000 // len(body.encode()) + 1)
            print(
                f"| {file_mb:.0f} MiB | {chars:,} | {seconds:.1f} | {peak:,.0f} MiB | "
                f"{peak / file_mb:.1f}x |",
                flush=True,
            )
            source.unlink()
            shutil.rmtree(project)


def main() -> None:
    args = sys.argv[1:]
    sizes = [int(a) for a in args if a.isdigit()] or [2, 20, 200]
    if "--memory-only" in args:
        memory(sizes)
        return
    body = sample_body()
    qualcode = [sys.executable, "-m", "qualcode"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = folder / "big_3mb.txt"
        big.write_text(body * (3_000_000 // len(body.encode()) + 1), encoding="utf-8")
        size_mb = big.stat().st_size / 1e6
        chars = len(big.read_text(encoding="utf-8"))

        def ours(i: int) -> float:
            project = folder / f"p{i}"
            started = time.perf_counter()
            subprocess.run(
                [
                    *qualcode,
                    "init",
                    str(project),
                    "--codebook",
                    str(REPO / "codebooks" / "gov_service.yaml"),
                ],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*qualcode, "import", str(project), str(big)], check=True, capture_output=True
            )
            return time.perf_counter() - started

        jieba = [
            sys.executable,
            "-c",
            f"import jieba; jieba.lcut(open({str(big)!r}, encoding='utf-8').read())",
        ]
        # Paired runs, ours then jieba's, so the drift of a shared machine hits both alike;
        # the ratio is the median of the pairs' ratios.
        pairs = [(ours(i), timed(jieba, repeat=1)) for i in range(PAIRS)]
        ours_s = statistics.median(a for a, _ in pairs)
        jieba_s = statistics.median(b for _, b in pairs)
        ratio = statistics.median(a / b for a, b in pairs)
        print(f"3 MB import: {size_mb:.2f} MB, {chars:,} characters, {PAIRS} paired runs")
        print(f"  qualcode init + import (two processes): {ours_s:.2f} s")
        print(f"  bare jieba process (load + lcut):        {jieba_s:.2f} s")
        print(f"  ratio ours / jieba (median of pairs): {ratio:.2f} (goal <= 0.5)")

        sys.path.insert(0, str(REPO))
        from qualcode.store import Project
        from qualcode.study import import_files

        with Project.open(folder / "p0") as project:
            started = time.perf_counter()
            stored = project.transcript("big_3mb")
            reopen = time.perf_counter() - started
            started = time.perf_counter()
            (again,) = import_files(project, [big])
            reimport = time.perf_counter() - started
        print(
            f"re-open the segmented 3 MB transcript: {reopen * 1000:.0f} ms "
            f"({len(stored.sentences):,} sentences, {len(stored.word_ends):,} words, "
            "no segmentation)"
        )
        print(f"re-import of the unchanged file: {reimport * 1000:.0f} ms ({again.status})")

        many = folder / "many"
        many.mkdir()
        for i in range(300):
            offset = (i * 997) % len(body)
            text = (body[offset:] + body)[:10_000]
            (many / f"T{i:03}.txt").write_text(text, encoding="utf-8")
        project_dir = folder / "p300"
        subprocess.run([*qualcode, "init", str(project_dir)], check=True, capture_output=True)
        started = time.perf_counter()
        subprocess.run(
            [*qualcode, "import", str(project_dir), *map(str, many.iterdir())],
            check=True,
            capture_output=True,
        )
        print(
            f"import 300 transcripts x 10,000 characters: "
            f"{time.perf_counter() - started:.2f} s (one process)"
        )
    memory(sizes)


if __name__ == "__main__":
    main()
