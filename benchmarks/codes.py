"""Refining the codebook at scale, for docs/benchmarks.md.

The project of benchmarks/reports.py (transcripts of the sample study's interview turns,
about 3,000 characters each, random spans of one to three sentences coded by two coders),
its codings then given to three codes: 10,000 to 使用与知晓度 (problems.awareness), 10,000 to
宣传推广 (causes.publicity), 20,000 to 行为态度 (tpb.attitude), every 50th with a memo, and
a memo and a favourite key on each code. Timed in one process with the project open:

- `merge_codes`: problems.awareness into causes.publicity (10,000 + 10,000 codings; those
  that coincide joined, memos joined): one transaction, with its undo entry and history row;
- `edit_code` renaming the id of tpb.attitude (20,000 codings follow, and its memo, key and
  GUID): one transaction;
- and the `Project.undo` of each, which puts every row back.

Each is the median of 3 runs (undone, or redone, between runs). Goal: each change under 1 s.
Also one whole `qualcode codes merge` process, start to exit.

Run: .venv/bin/python benchmarks/codes.py [TRANSCRIPTS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reports import build  # the same kind of project as the reports benchmark

from qualcode import codes
from qualcode.store import Project

QUALCODE = Path(sys.executable).with_name("qualcode")
SPLIT = {
    "problems.awareness": (0, 10_000),
    "causes.publicity": (10_000, 20_000),
    "tpb.attitude": (20_000, 40_000),
}


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def prepare(folder: Path) -> None:
    with Project.open(folder) as project, project.transaction() as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM codings ORDER BY id")]
        for code_id, (first, last) in SPLIT.items():
            conn.executemany(
                "UPDATE codings SET code_id = ? WHERE id = ?",
                [(code_id, i) for i in ids[first:last]],
            )
        conn.execute("UPDATE codings SET memo = '这一段要在论文里引用' WHERE id % 50 = 0")
        for code_id in SPLIT:
            project.set_code_memo(code_id, "wang", f"{code_id} 的定义")


def main() -> None:
    n_transcripts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = build(Path(tmp), n_transcripts, 40_000)
        prepare(folder)
        with Project.open(folder) as project:
            counts = project.code_counts()
            print(
                f"{n_transcripts:,} transcripts; codings per code: "
                + ", ".join(f"{c} {counts[c]:,}" for c in SPLIT)
            )
            merges, merge_undos, renames, rename_undos = [], [], [], []
            for _ in range(3):
                change = None

                def merge() -> None:
                    nonlocal change
                    change = codes.merge_codes(
                        project, "problems.awareness", "causes.publicity", "wang"
                    )

                merges.append(timed(merge))
                merge_undos.append(timed(lambda: project.undo("wang")))
            print(f"  {change.text()}")
            for _ in range(3):
                renames.append(
                    timed(
                        lambda: codes.edit_code(
                            project, "tpb.attitude", "wang", new_id="tpb.attitude_toward_use"
                        )
                    )
                )
                rename_undos.append(timed(lambda: project.undo("wang")))
            assert project.code_counts() == counts  # every undo put every coding back
        for name, runs in (
            ("merge 10,000 into 10,000 codings", merges),
            ("undo of the merge", merge_undos),
            ("id rename, 20,000 codings", renames),
            ("undo of the id rename", rename_undos),
        ):
            print(
                f"  {name:36} {statistics.median(runs):5.2f} s "
                f"(runs {', '.join(f'{r:.2f}' for r in runs)})"
            )
        started = time.perf_counter()
        subprocess.run(
            [
                str(QUALCODE),
                "codes",
                "merge",
                str(folder),
                "problems.awareness",
                "causes.publicity",
                "--coder",
                "wang",
            ],
            check=True,
            capture_output=True,
        )
        print(f"  whole `qualcode codes merge` process    {time.perf_counter() - started:5.2f} s")


if __name__ == "__main__":
    main()
