"""The quotes report's figure for docs/benchmarks.md.

The project of benchmarks/reports.py (1,000 transcripts of the sample study's interview
turns, about 3,000 characters each, with age_group and uses_platform attributes, 100,000
confirmed codings by two coders on random spans of one to three sentences, random codes of
the sample codebook), a few hundred of them with memos. Timed as a whole process, the way a
researcher runs it: `qualcode report quotes STUDY --max-per-code 10 -o quotes.docx` (also
.md, and with --where), median of 3 runs after one warm-up. Goal: under 5 s.

Run: .venv/bin/python benchmarks/quotes.py [TRANSCRIPTS CODINGS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports import build  # the same project as the reports benchmark

from qualcode.store import Project

QUALCODE = Path(sys.executable).with_name("qualcode")


def whole_process(args: list[str], repeat: int = 3) -> float:
    subprocess.run([str(QUALCODE), *args], check=True, capture_output=True)  # warm: disk cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([str(QUALCODE), *args], check=True, capture_output=True)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    n_transcripts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    n_codings = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = build(Path(tmp), n_transcripts, n_codings)
        with Project.open(folder) as project, project.transaction() as conn:
            conn.execute("UPDATE codings SET memo = '这一段要在论文里引用' WHERE id % 250 = 0")
        print(f"{n_transcripts:,} transcripts, {n_codings:,} codings")
        out = Path(tmp)
        runs = {
            "report quotes --max-per-code 10 -o quotes.docx": [
                "--max-per-code",
                "10",
                "-o",
                str(out / "quotes.docx"),
            ],
            "report quotes --max-per-code 10 -o quotes.md": [
                "--max-per-code",
                "10",
                "-o",
                str(out / "quotes.md"),
            ],
            "... --where uses_platform=是 -o quotes.docx": [
                "--max-per-code",
                "10",
                "--where",
                "uses_platform=是",
                "-o",
                str(out / "where.docx"),
            ],
        }
        for name, args in runs.items():
            seconds = whole_process(["report", "quotes", str(folder), *args])
            print(f"  {name:52} {seconds:5.2f} s (goal < 5 s)")
        print(f"  quotes.docx: {(out / 'quotes.docx').stat().st_size / 1024:.0f} KiB")
        startup = whole_process(["--version"])
        print(f"  a bare `qualcode --version`: {startup:.2f} s")


if __name__ == "__main__":
    main()
