"""Survey import figure for docs/benchmarks.md: `qualcode import-survey` of a generated
问卷星-style export, 10,000 respondents × 40 columns (36 closed: numbers, Likert labels,
multi-choice options, a date; 4 open questions, some skipped), into a new project, and the
re-import of the same file (every answer unchanged). Goal: the import under 10 s.

Run: .venv/bin/python benchmarks/survey.py
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

LIKERT = ["非常不满意", "不满意", "一般", "满意", "非常满意"]
PHRASES = [
    "不知道有这个网站",
    "操作太复杂了",
    "老年人不会用",
    "网站经常打不开",
    "登录要验证很多次",
    "材料要求不清楚",
    "希望简化流程",
    "窗口办理更方便",
    "客服电话打不通",
    "信息更新不及时",
]


def write_export(path: Path, respondents: int = 10_000) -> None:
    rng = random.Random(0)
    book = openpyxl.Workbook()  # shared strings, as the survey sites' exports have
    sheet = book.active
    sheet.title = "问卷数据"
    header = ["序号", "提交答卷时间", "1、您的性别", "2、您的年龄"]
    header += [f"{n}、第{n}题满意度" for n in range(3, 23)]
    header += [f"23、您使用过哪些服务？(服务{k})" for k in range(1, 13)]
    header += [f"{n}、开放题{n}？" for n in range(24, 28)]
    assert len(header) == 40
    sheet.append(header)
    for i in range(1, respondents + 1):
        row = [i, 45000 + i / 100, rng.choice(["男", "女"]), rng.randint(16, 80)]
        row += [rng.choice(LIKERT) for _ in range(20)]
        row += [rng.choice([0, 1]) for _ in range(12)]
        row += [
            "(空)"
            if rng.random() < 0.3
            else "，".join(rng.sample(PHRASES, rng.randint(1, 4))) + f"（{i}）"
            for _ in range(4)
        ]
        sheet.append(row)
    book.save(path)


def main() -> None:
    qualcode = [sys.executable, "-m", "qualcode"]
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "survey.xlsx"
        write_export(export)
        subprocess.run([*qualcode, "init", f"{tmp}/p"], check=True, capture_output=True)
        command = [
            *qualcode,
            "import-survey",
            f"{tmp}/p",
            str(export),
            "--id",
            "序号",
            "--open",
            "Q24",
            "Q25",
            "Q26",
            "Q27",
        ]
        for label in ("import", "re-import (unchanged)"):
            started = time.perf_counter()
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            print(f"{label}: {time.perf_counter() - started:.1f} s — {done.stdout.strip()}")


if __name__ == "__main__":
    main()
