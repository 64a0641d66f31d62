"""Whole-process time of each command for docs/benchmarks.md.

The project of benchmarks/reports.py (1,000 transcripts of the sample study's interview turns,
about 3,000 characters each, with age_group and uses_platform attributes, and 100,000
confirmed codings by two coders), built once; then each command runs as its own process
(`python -m qualcode ...`, output to a file or to /dev/null, stderr not a terminal), timed from
start to exit, median of 3 runs. Also each command's CPU time in imports
(`python -X importtime`, the top-level modules it loaded) to show what it pays for.

Goal (issue 15): `list` under 0.3 s, `show -o` of a 3 MB transcript under 1 s (and `show`
to a terminal or a pipe about 1 s), each single `report` command under 1 s.

Run: .venv/bin/python benchmarks/cli.py [TRANSCRIPTS CODINGS]
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from import_speed import sample_body
from reports import REPO, build

RUNS = 3
# As installed: modules compiled once and read from their cached bytecode (a shell with
# PYTHONDONTWRITEBYTECODE set would compile every module in every process, 0.1-0.2 s).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def timed(args: list[str], cwd: Path) -> float:
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "qualcode", *args],
            cwd=cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


HEAVY = (
    "spacy",
    "pandas",
    "scipy.stats",
    "scipy",
    "numpy",
    "rich.table",
    "rich.progress",
    "openpyxl",
    "matplotlib",
    "rjieba",
    "jieba",
    "yaml",
    "textual",
)


def heavy_imports(args: list[str], cwd: Path) -> str:
    """The heavy packages a command imports, with their cumulative import time (s)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qualcode", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    found: dict[str, int] = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|\s*(\S+)$", line)
        if m and m[2] in HEAVY and not any(m[2].startswith(f"{seen}.") for seen in found):
            found[m[2]] = max(found.get(m[2], 0), int(m[1]))
    heavy = sorted(found.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {us / 1e6:.2f}" for name, us in heavy if us >= 20_000) or "-"


def main() -> None:
    n_transcripts, n_codings = (
        (int(a) for a in sys.argv[1:3]) if len(sys.argv) > 2 else (1000, 100_000)
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ENV["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")  # not in the source tree
        subprocess.run(
            [sys.executable, "-m", "qualcode", "--help"], check=True, env=ENV, capture_output=True
        )
        started = time.perf_counter()
        study = build(folder, n_transcripts, n_codings)
        print(
            f"built {n_transcripts:,} transcripts / {n_codings:,} codings in "
            f"{time.perf_counter() - started:.1f} s"
        )
        big = folder / "big_3mb.txt"
        body = sample_body()
        big.write_text(body * (3_000_000 // len(body.encode()) + 1), encoding="utf-8")
        big_project = folder / "big"
        subprocess.run(
            [sys.executable, "-m", "qualcode", "init", str(big_project)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [sys.executable, "-m", "qualcode", "import", str(big_project), str(big)],
            check=True,
            capture_output=True,
        )
        codebook = REPO / "codebooks" / "gov_service.yaml"
        out = folder / "out"
        out.mkdir()
        commands: list[tuple[str, list[str]]] = [
            ("--help", ["--help"]),
            ("init --codebook", ["init", str(out / "new"), "--codebook", str(codebook)]),
            ("codebook validate", ["codebook", "validate", str(codebook)]),
            ("list", ["list", str(study)]),
            ("list -o list.csv", ["list", str(study), "-o", str(out / "list.csv")]),
            ("show R0001 (to a pipe)", ["show", str(study), "R0001"]),
            ("show (3 MB transcript, to a pipe)", ["show", str(big_project), "big_3mb"]),
            (
                "show -o (3 MB transcript, .csv)",
                ["show", str(big_project), "big_3mb", "-o", str(out / "show.csv")],
            ),
            (
                "show -o (3 MB transcript, .xlsx)",
                ["show", str(big_project), "big_3mb", "-o", str(out / "show.xlsx")],
            ),
            ("show --text (3 MB transcript)", ["show", str(big_project), "big_3mb", "--text"]),
            ("codings -o codings.csv", ["codings", str(study), "-o", str(out / "codings.csv")]),
            ("report frequencies", ["report", "frequencies", str(study)]),
            (
                "report crosstab --by age_group",
                ["report", "crosstab", str(study), "--by", "age_group"],
            ),
            ("report cooccurrence", ["report", "cooccurrence", str(study)]),
            ("report matrix", ["report", "matrix", str(study)]),
            ("agreement --coders wang,li", ["agreement", str(study), "--coders", "wang,li"]),
            ("speakers", ["speakers", str(study)]),
        ]
        rows = []
        for label, args in commands:
            if label.startswith("init"):
                runs = []
                for i in range(RUNS):
                    args = ["init", str(out / f"new{i}"), "--codebook", str(codebook)]
                    started = time.perf_counter()
                    subprocess.run(
                        [sys.executable, "-m", "qualcode", *args],
                        check=True,
                        capture_output=True,
                        env=ENV,
                    )
                    runs.append(time.perf_counter() - started)
                seconds = statistics.median(runs)
                args = ["init", str(out / "newx"), "--codebook", str(codebook)]
            else:
                seconds = timed(args, folder)
            rows.append((label, seconds, heavy_imports(args, folder)))
            print(f"{label:36} {seconds:6.2f} s   imports (s): {rows[-1][2]}", flush=True)
        print()
        print(
            f"| command ({n_transcripts:,} transcripts, {n_codings:,} codings) | seconds "
            "| heaviest imports (s, cumulative) |"
        )
        print("|---|---:|---|")
        for label, seconds, imports in rows:
            print(f"| `{label}` | {seconds:.2f} | {imports} |")
        print(
            f"\nmachine: {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.1f} at the end; Python {sys.version.split()[0]}"
        )


if __name__ == "__main__":
    main()
