"""A second qualcode process for the crash and concurrency tests (tests/test_reliability.py).

    python reliability_worker.py import PROJECT [--pause-after N] FILE...
        imports FILES in one import_files call, printing ``prepared NAME`` after each file is
        segmented and ``stored NAME`` after each is written inside the transaction, then
        ``committed``. With --pause-after N it waits for a line on stdin after the N-th
        ``stored``: the test kills it there, in the middle of the open transaction.
    python reliability_worker.py code PROJECT CODER COUNT
        prints ``ready``, waits for a line on stdin, then codes COUNT spans of A01 one after
        another, printing ``coded ID`` once each add_coding has returned (it is committed).
    python reliability_worker.py hold PROJECT
        opens a write transaction, prints ``holding`` and keeps it open until stdin closes.

Every line is flushed at once, so the test reads progress as it happens. A qualcode error is
printed as ``error: ...`` with exit status 2; anything else is a traceback and status 1.
"""

from __future__ import annotations

import sys

from qualcode.errors import QualcodeError
from qualcode.store import Project


def say(line: str) -> None:
    print(line, flush=True)


def run_import(project_dir: str, args: list[str]) -> None:
    from qualcode import pipeline
    from qualcode.progress import Progress
    from qualcode.study import import_files

    pause_after = None
    if args[:1] == ["--pause-after"]:
        pause_after, args = int(args[1]), args[2:]

    class Say(Progress):
        """Says each file's progress as the import reports it."""

        stage, stored = "", 0

        def start(self, description: str, total: float | None = None) -> None:
            self.stage = description

        def advance(self, amount: float = 1, done: str | None = None) -> None:
            if done is None:
                return
            if self.stage == pipeline.READING:
                say(f"prepared {done}")
                return
            self.stored += 1
            say(f"stored {done}")
            if self.stored == pause_after:
                sys.stdin.readline()  # killed here, inside the transaction

    with Project.open(project_dir) as project:
        import_files(project, args, progress=Say())
    say("committed")


def run_code(project_dir: str, coder: str, count: int) -> None:
    with Project.open(project_dir) as project:
        length = len(project.transcript("A01").text)
        say("ready")
        sys.stdin.readline()
        for i in range(count):
            start = (i * 7) % (length - 10)
            coding = project.add_coding("A01", start, start + 1 + i % 9, "problems.content", coder)
            say(f"coded {coding.id}")


def run_hold(project_dir: str) -> None:
    with Project.open(project_dir) as project, project.transaction() as conn:
        conn.execute("INSERT INTO meta VALUES ('held', 'yes') ON CONFLICT DO NOTHING")
        say("holding")
        sys.stdin.read()  # until the test closes stdin
        conn.execute("DELETE FROM meta WHERE key = 'held'")


if __name__ == "__main__":
    command, project_dir, *rest = sys.argv[1:]
    try:
        if command == "import":
            run_import(project_dir, rest)
        elif command == "code":
            run_code(project_dir, rest[0], int(rest[1]))
        elif command == "hold":
            run_hold(project_dir)
        else:
            raise SystemExit(f"unknown command {command}")
    except QualcodeError as error:
        say(f"error: {error}")
        raise SystemExit(2) from None
