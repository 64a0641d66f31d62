"""Zip bombs against the archive guard, for docs/benchmarks.md: each archive type qualcode
reads (.docx transcript, .xlsx survey and codings, .qdpx project, .qdc codebook), as a file of
about 1.5 MB whose main member inflates to 1.5 GB, its headers telling the truth or claiming
1 KB; the .qdc as a 1.5 GB (sparse) file and as a billion-laughs entity bomb. Each is given to
the command a researcher would type, in a fresh process: the wall-clock time and the peak
resident memory (ru_maxrss) of that whole process, from start to the one-line refusal, and
for comparison the same command on a harmless file of the same type. Goal (issue 15): a bomb
refused in under 5 s using under 200 MB.

Run: .venv/bin/python benchmarks/archives.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.test_archives import billion_laughs, bomb, qdc_bomb  # the test's bombs
from tests.test_fuzz_cli import _samples  # and its harmless files of each type

# The child reports its own high-water mark (VmHWM): ru_maxrss would carry over the resident
# size of this process, from which it was forked, into the child's figure.
CHILD = """import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("PEAK", int(line.split()[1]) // 1024, file=sys.stderr)
atexit.register(peak)
from qualcode.cli import main
main(sys.argv[1:], prog_name="qualcode")
"""


def run(args: list[str]) -> tuple[float, int, int, str]:
    """Seconds, peak resident MB, exit status and the last line of a qualcode process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "QUALCODE_LANG": "en"},
    )
    seconds = time.perf_counter() - started
    lines = (done.stdout + done.stderr).strip().splitlines()
    peak = next(int(line.split()[1]) for line in lines if line.startswith("PEAK "))
    said = [line for line in lines if not line.startswith("PEAK ")]
    return seconds, peak, done.returncode, said[-1] if said else ""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "samples").mkdir()
        samples = _samples(folder / "samples")
        project = folder / "study"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "qualcode",
                "init",
                str(project),
                "--codebook",
                str(REPO / "codebooks" / "gov_service.yaml"),
            ],
            check=True,
            capture_output=True,
        )
        cases: list[tuple[str, Path, list[str]]] = []

        def case(label: str, name: str, data: bytes | None, command: list[str]) -> None:
            path = folder / name
            if data is not None:
                path.write_bytes(data)
            cases.append(
                (
                    label,
                    path,
                    [a.format(p=project, f=path, new=folder / f"new-{name}") for a in command],
                )
            )

        for lying in (False, True):
            how = "lying headers" if lying else "honest headers"
            suffix = "-lying" if lying else ""
            case(
                f"import .docx bomb, {how}",
                f"bomb{suffix}.docx",
                bomb("docx", lying=lying),
                ["import", "{p}", "{f}"],
            )
            case(
                f"import-survey .xlsx bomb, {how}",
                f"bomb{suffix}.xlsx",
                bomb("xlsx", lying=lying),
                ["import-survey", "{p}", "{f}"],
            )
            case(
                f"import-codings .xlsx bomb, {how}",
                f"bomb{suffix}.xlsx",
                None,
                ["import-codings", "{p}", "{f}", "--coder", "li"],
            )
            case(
                f"import-qdpx .qdpx bomb, {how}",
                f"bomb{suffix}.qdpx",
                bomb("qdpx", lying=lying),
                ["import-qdpx", "{f}", "{new}"],
            )
        qdc_bomb(folder / "bomb.qdc")
        case(
            "codebook import 1.5 GB .qdc (sparse)",
            "bomb.qdc",
            None,
            ["codebook", "import", "{p}", "{f}"],
        )
        case(
            "codebook import billion-laughs .qdc",
            "laughs.qdc",
            billion_laughs(),
            ["codebook", "import", "{p}", "{f}"],
        )
        case(
            "import .docx, harmless (A02_li)",
            "fine.docx",
            samples["docx"],
            ["import", "--preview", "{f}"],
        )
        case(
            "import-survey .xlsx, harmless",
            "fine.xlsx",
            samples["survey.xlsx"],
            ["import-survey", "{p}", "{f}"],
        )
        case(
            "import-qdpx .qdpx, harmless",
            "fine.qdpx",
            samples["qdpx"],
            ["import-qdpx", "{f}", "{new}"],
        )

        print(f"{'command':46} {'file':>8} {'time':>7} {'peak':>8}  result")
        for label, path, args in cases:
            seconds, peak, status, last = run(args)
            size = path.stat().st_size / 1024 / 1024
            print(
                f"{label:46} {size:6.1f}MB {seconds:6.2f}s {peak:6.0f}MB  exit {status}: "
                f"{last[:110]}"
            )


if __name__ == "__main__":
    main()
