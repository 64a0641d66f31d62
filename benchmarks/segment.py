"""Segmentation speed: qualcode's pipeline against bare ``jieba.lcut`` on the same text.

Run with ``uv run python benchmarks/segment.py``. Builds about 1 MB (UTF-8) of Chinese interview
text from the CC0 Audrey Tang transcripts in ../shared/corpora (else the sample study in
transcripts/), repeated to size, and prints throughput (MB/s, best of a few runs) and start-up
times measured in fresh interpreters. Results go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from qualcode.model import Turn
from qualcode.segment import Segmenter

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpora" / "audreyt_transcript_cc0" / "zh-Hans"
SAMPLE = REPO / "transcripts"
SIZE = 1_000_000
RUNS = 5
LABEL = re.compile(r"^### (.+?)：\s*$", re.MULTILINE)  # the corpus's speaker lines: "### 唐凤："


def corpus_text(size: int) -> tuple[str, str]:
    files = sorted(CORPUS.glob("*.md")) or sorted(SAMPLE.glob("*.txt"))
    if not files:
        sys.exit(f"no transcripts in {CORPUS} or {SAMPLE}")
    one = "\n".join(f.read_text(encoding="utf-8") for f in files)
    copies = -(-size // len(one.encode()))
    return "\n".join([one] * copies), f"{len(files)} files from {files[0].parent}"


def turns_of(text: str) -> list[Turn]:
    labels = list(LABEL.finditer(text))
    return [
        Turn(
            start=m.start(),
            end=labels[i + 1].start() if i + 1 < len(labels) else len(text),
            speaker=m.group(1),
            body_start=m.end() + 1,
        )
        for i, m in enumerate(labels)
    ]


def best(fn: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fresh(code: str, runs: int = RUNS) -> float:
    """Median seconds a snippet reports in fresh interpreters."""
    out = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.split()[-1])
        for _ in range(runs)
    ]  # fmt: skip
    return statistics.median(out)


LOAD_OURS = """
import time; t = time.perf_counter()
from qualcode.segment import Segmenter
Segmenter().words("我都不知道有这个政务服务网")
print(time.perf_counter() - t)
"""
LOAD_OURS_DOC = """
import time; t = time.perf_counter()
from qualcode.segment import Segmenter
Segmenter().nlp()("我都不知道有这个政务服务网")
print(time.perf_counter() - t)
"""
LOAD_JIEBA = """
import logging, time; t = time.perf_counter()
import jieba
jieba.setLogLevel(logging.WARNING)
{setup}
jieba.lcut("我都不知道有这个政务服务网")
print(time.perf_counter() - t)
"""


def main() -> None:
    import jieba

    jieba.setLogLevel(60)
    text, source = corpus_text(SIZE)
    text = text.encode()[:SIZE].decode("utf-8", "ignore")
    megabytes = len(text.encode()) / 1e6
    turns = turns_of(text)
    big = "\n".join([text] * 3)
    big_turns = turns_of(big)

    print(f"text: {megabytes:.2f} MB, {len(text):,} characters, {len(turns):,} turns ({source})")
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.platform()}")  # fmt: skip
    print(f"rjieba {version('rjieba')}, jieba {version('jieba')}, spacy {version('spacy')}")

    seg = Segmenter()
    nlp = seg.nlp()
    jieba.initialize()
    bodies = [text[t.body_start : t.end] for t in turns]
    rjieba_cut = seg._engine.cut
    results = {
        "jieba.lcut (reference)": best(lambda: jieba.lcut(text)),
        "rjieba cut, bare": best(lambda: rjieba_cut(text)),
        "Segmenter.words": best(lambda: seg.words(text)),
        "Segmenter.sentences": best(lambda: seg.sentences(text)),
        "segment_transcript (words + sentences)": best(lambda: seg.segment_transcript(text, turns)),
        "spaCy Doc, whole text (nlp(text))": best(lambda: nlp(text)),
        "spaCy Docs per turn body (nlp.pipe)": best(lambda: list(nlp.pipe(bodies))),
    }
    reference = results["jieba.lcut (reference)"]
    print(f"\n{'':42} {'seconds':>8} {'MB/s':>7} {'vs jieba':>9}")
    for name, seconds in results.items():
        print(f"{name:42} {seconds:8.3f} {megabytes / seconds:7.2f} {reference / seconds:8.1f}x")

    big_mb = len(big.encode()) / 1e6
    seconds = best(lambda: seg.segment_transcript(big, big_turns))
    result = seg.segment_transcript(big, big_turns)
    print(f"\nsegment_transcript on {big_mb:.1f} MB ({len(big):,} characters, {len(big_turns):,} "
          f"turns): {seconds:.3f} s, {len(result.words):,} words, "
          f"{len(result.sentences):,} sentences")  # fmt: skip

    print("\nstart-up in a fresh interpreter (median of 3):")
    print(f"  ours, import + Segmenter() + first words():    {fresh(LOAD_OURS):.2f} s")
    print(f"  ours, import + Segmenter() + first nlp() Doc:  {fresh(LOAD_OURS_DOC):.2f} s")
    print(f"  jieba, import + dictionary (cache present):     "
          f"{fresh(LOAD_JIEBA.format(setup='jieba.initialize()')):.2f} s")  # fmt: skip
    with tempfile.TemporaryDirectory() as empty:
        cold = f"jieba.dt.tmp_dir = {empty!r}\njieba.initialize()"
        print(f"  jieba, import + dictionary (no cache file):    "
              f"{fresh(LOAD_JIEBA.format(setup=cold), runs=1):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
