"""Report figures for docs/benchmarks.md.

A project of 1,000 transcripts (the sample study's interview turns, about 3,000 characters
each) with age_group and uses_platform attributes and 100,000 confirmed codings by two coders
(random spans of one to three sentences, random codes of the sample codebook). Timed in one
process with the project open, median of 5 runs: each report from the store (the codings read
and rolled up afresh, as after any change) and again while nothing changed (the codings read
last time reused); frequencies + crosstab + cooccurrence in a row from the store; and a bare
pandas groupby over the same rows (read from SQLite with `pd.read_sql_query`, then counted per
code). Goal: frequencies + crosstab + cooccurrence under 1 s in all.

Run: .venv/bin/python benchmarks/reports.py [TRANSCRIPTS CODINGS]
"""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from qualcode.store import Project
from qualcode.store.schema import _now
from qualcode.study import import_files, init_project

REPO = Path(__file__).resolve().parents[1]

SAMPLES = [
    REPO / "transcripts" / name for name in ("A01_zhang.txt", "A04_chen.txt", "A05_zhao.txt")
]


def sample_turns() -> list[str]:
    text = "\n\n".join(p.read_text(encoding="utf-8-sig") for p in SAMPLES)
    return [block for block in text.split("\n\n") if block.startswith(("访谈者：", "受访者："))]


def build(folder: Path, n_transcripts: int, n_codings: int) -> Path:
    rng = random.Random(7)
    turns = sample_turns()
    sources = folder / "sources"
    sources.mkdir()
    paths = []
    for i in range(n_transcripts):
        start = rng.randrange(len(turns) - 30)
        path = sources / f"R{i:04d}.txt"
        path.write_text("\n\n".join(turns[start : start + 30]) + "\n", encoding="utf-8")
        paths.append(path)
    people = sources / "people.csv"
    people.write_text(
        "transcript,age_group,uses_platform\n"
        + "".join(
            f"R{i:04d},{rng.choice(['18-29岁', '30-44岁', '45-59岁', '60岁及以上'])},"
            f"{rng.choice(['是', '否'])}\n"
            for i in range(n_transcripts)
        ),
        encoding="utf-8",
    )
    project_folder = folder / "study"
    with init_project(project_folder, REPO / "codebooks" / "gov_service.yaml") as project:
        import_files(project, paths, people, allow_duplicates=True)  # texts repeat
        codes = [c.id for c, _, _ in project.codebook().walk()]
        sentences: dict[int, list[tuple[int, int]]] = {}
        for transcript_id, start, end in project.conn.execute(
            "SELECT transcript_id, start, end FROM sentences ORDER BY transcript_id, idx"
        ):
            sentences.setdefault(transcript_id, []).append((start, end))
        ids = list(sentences)
        rows = []
        now = _now()
        for i in range(n_codings):
            transcript_id = ids[i % len(ids)]
            spans = sentences[transcript_id]
            first = rng.randrange(len(spans))
            last = min(len(spans) - 1, first + rng.choice([0, 0, 0, 1, 2]))
            rows.append(
                (
                    transcript_id,
                    spans[first][0],
                    spans[last][1],
                    rng.choice(codes),
                    rng.choice(["wang", "li"]),
                    now,
                    now,
                )
            )
        # Setup only: written in bulk, without the undo log a person's codings get.
        with project.transaction() as conn:
            conn.executemany(
                "INSERT INTO coders VALUES (?, ?) ON CONFLICT DO NOTHING",
                [("wang", now), ("li", now)],
            )
            conn.executemany(
                "INSERT INTO codings (transcript_id, start, end, code_id, coder, "
                "created, changed) VALUES (?,?,?,?,?,?,?)",
                rows,
            )
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return project_folder


def median_time(function: Callable[[], object], repeat: int = 5) -> float:
    function()  # warm: imports, SQLite page cache
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    n_transcripts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    n_codings = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = build(Path(tmp), n_transcripts, n_codings)
        print(
            f"built {n_transcripts:,} transcripts, {n_codings:,} codings in "
            f"{time.perf_counter() - started:.1f} s"
        )
        import pandas as pd

        from qualcode import analysis

        with Project.open(folder) as project:
            sentences = project.conn.execute("SELECT count(*) FROM sentences").fetchone()[0]
            chars = project.conn.execute("SELECT sum(length(text)) FROM transcripts").fetchone()[0]
            print(f"  {chars:,} characters, {sentences:,} sentences")

            def bare() -> object:
                rows = pd.read_sql_query(
                    "SELECT transcript_id, start, end, code_id, coder FROM codings "
                    "WHERE status = 'confirmed'",
                    project.conn,
                )
                return rows.groupby("code_id").agg(
                    segments=("start", "size"), transcripts=("transcript_id", "nunique")
                )

            reports = {
                "frequencies": lambda: analysis.frequencies(project),
                "crosstab --by age_group": lambda: analysis.crosstab(project, "age_group"),
                "cooccurrence (overlap)": lambda: analysis.cooccurrence(project),
                "cooccurrence --unit sentence": lambda: analysis.cooccurrence(
                    project, unit="sentence"
                ),
                "frequencies --coder wang --coder li": lambda: analysis.frequencies(
                    project, ["wang", "li"]
                ),
                "matrix": lambda: analysis.matrix(project),
            }

            def cold(report: Callable[[], object]) -> Callable[[], object]:
                def run() -> object:
                    analysis._CACHE.clear()  # as after any change: read from the store again
                    return report()

                return run

            def three() -> None:
                analysis._CACHE.clear()
                for name in ("frequencies", "crosstab --by age_group", "cooccurrence (overlap)"):
                    reports[name]()

            figures = {
                name: (median_time(cold(report)), median_time(report))
                for name, report in reports.items()
            }
            goal = median_time(three)
            load = median_time(cold(lambda: analysis.segments(project)))
            rows_only = median_time(lambda: project.coding_rows())
            baseline = median_time(bare)
        print(f"  {'report':38} {'from the store':>15} {'read cached':>12}")
        for name, (first, again) in figures.items():
            print(f"  {name:38} {first * 1000:12.0f} ms {again * 1000:9.0f} ms")
        print(
            f"  frequencies + crosstab + cooccurrence from the store: {goal * 1000:.0f} ms "
            "(goal < 1000 ms)"
        )
        print(
            f"  reading + rolling up the codings: {load * 1000:.0f} ms "
            f"(Project.coding_rows alone {rows_only * 1000:.0f} ms)"
        )
        print(
            f"  bare pandas: read_sql_query + groupby: {baseline * 1000:.0f} ms; ratio "
            f"frequencies / bare {figures['frequencies'][0] / baseline:.1f}, "
            f"all three / bare {goal / baseline:.1f}"
        )
    startup = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import time; t = time.perf_counter(); import qualcode.analysis; "
                "a = time.perf_counter(); import scipy.stats; "
                "print(f'{a - t:.2f} {time.perf_counter() - a:.2f}')"
            ),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(
        f"  fresh process: import qualcode.analysis (pandas) {startup[0]} s, "
        f"then scipy.stats (crosstab) {startup[1]} s"
    )


if __name__ == "__main__":
    main()
