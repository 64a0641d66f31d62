"""Auto-coding figures for docs/benchmarks.md: the batch path against bare ``jieba.lcut``.

Documents: the speaker turns of the CC0 transcripts in ../shared/corpora/audreyt_transcript_cc0
(both scripts, when present) and of the sample study, then generated rows (two or three
sentences of those turns, seeded) until the table holds SIZE MB of text (UTF-8). Codebook: the
sample codebook's 22 codes with 300 keywords (its own, then the corpus's most frequent words of
two to four characters, dealt out to the codes in turn; whole-word matching), without its
patterns. All files go to a temporary folder.

Each figure is timed in a fresh process, as ``qualcode batch`` runs, median of three runs
(this VM is shared: single runs move by 20 %): bare ``jieba.lcut`` of every document (its
dictionary loaded first), and ``qualcode.batch.code_table`` (read the CSV, code, write the CSV;
rules compiled first) on one worker (in that process) and on two worker processes. Goals: one
core at least 3x bare jieba; two cores at least 1.8x one core. Then peak memory (ru_maxrss of
the process and of its largest worker) of the batch path on two workers, for a SIZE MB and a
LARGE MB table (the same rows repeated): goal, flat as the input grows.

Run: .venv/bin/python benchmarks/autocode.py [SIZE_MB [LARGE_MB]]   (default 10 100)
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from qualcode.codebook import load_codebook, save_codebook
from qualcode.transcripts import read_transcript

REPO = Path(__file__).resolve().parents[1]

CC0 = REPO.parent / "shared" / "corpora" / "audreyt_transcript_cc0"
SAMPLE = sorted(p for p in (REPO / "transcripts").iterdir() if p.suffix in (".txt", ".md", ".docx"))
KEYWORDS = 300


def speaker_turns() -> list[str]:
    turns = []
    for path in [*sorted(CC0.glob("zh-*/*.md")), *SAMPLE]:
        parsed = read_transcript(path)
        turns += [parsed.text[t.body_start : t.end].strip() for t in parsed.turns]
    return [t for t in turns if t]


def documents(size_mb: float) -> list[str]:
    """Real turns, then generated messages, until ``size_mb`` MB of UTF-8 text."""
    turns = speaker_turns()
    sentences = [s for t in turns for s in t.replace("？", "。").split("。") if len(s) > 4]
    rows, total, goal = [], 0, size_mb * 1e6
    pick = random.Random(6)
    for text in turns:
        rows.append(text)
        total += len(text.encode())
    while total < goal:
        text = "。".join(pick.sample(sentences, pick.randint(2, 3))) + "。"
        rows.append(text)
        total += len(text.encode())
    return rows


def codebook_with_keywords(rows: list[str], count: int):
    """The sample codebook with ``count`` keywords in all and no patterns."""
    import rjieba

    book = load_codebook(REPO / "codebooks" / "gov_service.yaml")
    codes = [code for code, _, _ in book.walk()]
    for code in codes:
        code.patterns, code.token_patterns, code.match = [], [], "word"
    have = set(book.keywords())
    frequent = Counter(
        w
        for text in rows[:20000]
        for w in rjieba.cut(text)
        if 2 <= len(w) <= 4 and all("\u4e00" <= c <= "\u9fff" for c in w)
    )
    extra = [w for w, _ in frequent.most_common() if w not in have][: count - len(have)]
    for i, word in enumerate(extra):
        codes[i % len(codes)].keywords.append(word)
    assert len(book.keywords()) == count, len(book.keywords())
    return book


def write_table(path: Path, rows: list[str], repeat: int = 1) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        n = 0
        for _ in range(repeat):
            for text in rows:
                writer.writerow([f"d{n}", text])
                n += 1


def child(*argv: str) -> dict:
    """Run this script in a fresh process (as ``qualcode batch`` runs) and read its figures."""
    out = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def jieba_child(source: str) -> None:
    """Bare ``jieba.lcut`` of every document of ``source``, dictionary loaded first."""
    import jieba

    from qualcode.batch import read_documents

    texts = [text for _, text in read_documents(source, "text")]
    jieba.setLogLevel(60)
    jieba.initialize()
    started = time.perf_counter()
    for text in texts:
        jieba.lcut(text)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def batch_child(source: str, codebook: str, output: str, workers: str) -> None:
    """The batch path on ``workers`` workers (rules compiled first), then its figures."""
    from qualcode.autocode import compile_rules
    from qualcode.batch import code_table

    book = load_codebook(codebook)
    rules = compile_rules(book)
    result = code_table(source, book, output, id_column="id", workers=int(workers), rules=rules)
    print(
        json.dumps(
            {
                "seconds": result.seconds,
                "documents": result.documents,
                "main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


def median_seconds(*argv: str, runs: int = 3) -> float:
    return statistics.median(child(*argv)["seconds"] for _ in range(runs))


def main(size_mb: float = 10, large_mb: float = 100) -> None:
    rows = documents(size_mb)
    mb = sum(len(t.encode()) for t in rows) / 1e6
    chars = sum(map(len, rows))
    book = codebook_with_keywords(rows, KEYWORDS)
    print(
        f"{len(rows):,} documents, {chars:,} characters, {mb:.1f} MB UTF-8; "
        f"{len(book.keywords())} keywords over {len(book.by_id())} codes; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (others' work skews the figures)"
    )
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        source = folder / "corpus.csv"
        write_table(source, rows)
        codebook_path = folder / "codebook.yaml"
        save_codebook(book, codebook_path)
        sample = REPO / "codebooks" / "gov_service.yaml"
        out = str(folder / "coded.csv")

        child("--batch", str(source), str(codebook_path), out, "1")  # warm the file cache
        jieba_s = median_seconds("--jieba", str(source))
        one_s = median_seconds("--batch", str(source), str(codebook_path), out, "1")
        two_s = median_seconds("--batch", str(source), str(codebook_path), out, "2")
        rules_s = median_seconds("--batch", str(source), str(sample), out, "1")
        print(f"bare jieba.lcut, one core:          {jieba_s:6.2f} s  {mb / jieba_s:6.2f} MB/s")
        print(
            f"batch path, one core:               {one_s:6.2f} s  {mb / one_s:6.2f} MB/s  "
            f"{jieba_s / one_s:.1f}x jieba (goal >= 3)"
        )
        print(
            f"batch path, two cores:              {two_s:6.2f} s  {mb / two_s:6.2f} MB/s  "
            f"{one_s / two_s:.2f}x one core (goal >= 1.8)"
        )
        print(
            f"sample codebook (patterns, tokens): {rules_s:6.2f} s  {mb / rules_s:6.2f} MB/s "
            "one core"
        )

        large = folder / "large.csv"
        write_table(large, rows, repeat=max(1, round(large_mb / size_mb)))
        for label, path in ((f"{size_mb:g} MB", source), (f"{large_mb:g} MB", large)):
            size = path.stat().st_size / 1e6
            figures = child("--batch", str(path), str(codebook_path), out, "2")
            print(
                f"peak memory, {label} input ({size:.0f} MB file, {figures['documents']:,} "
                f"documents, two workers): main {figures['main_mb']:.0f} MB, largest worker "
                f"{figures['worker_mb']:.0f} MB ({size / figures['seconds']:.1f} MB/s)"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--jieba"]:
        jieba_child(sys.argv[2])
    elif sys.argv[1:2] == ["--batch"]:
        batch_child(*sys.argv[2:6])
    else:
        main(*map(float, sys.argv[1:3]))
