"""Crashes, two processes on one project, and `qualcode doctor`, with real processes and files.

The crash tests kill a second process (tests/reliability_worker.py) with SIGKILL at points it
reports on stdout, then open the project as the researcher would next morning: every change
the process reported as done is there, and no change is there in part.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import qualcode.store
from qualcode.cli import main
from qualcode.doctor import check_project, repair_project
from qualcode.errors import ProjectError
from qualcode.store import Project
from qualcode.study import import_files

from .conftest import REPO

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL and file modes are POSIX")

WORKER = Path(__file__).with_name("reliability_worker.py")
A01 = REPO / "transcripts" / "A01_zhang.txt"
WAIT = 60.0  # seconds: the bound of every wait for a worker; never reached when all is well


class Worker:
    """A worker process whose stdout lines are read as they come."""

    def __init__(self, *args: object):
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), *map(str, args)],
            cwd=REPO,
            text=True,
            encoding="utf-8",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, wanted: str, count: int = 1) -> None:
        """Read lines until ``count`` of them start with ``wanted`` (a bounded wait)."""
        deadline = time.monotonic() + WAIT
        while sum(line.startswith(wanted) for line in self.lines) < count:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(
                    f"no {count} x {wanted!r} from the worker within {WAIT} s: {self.lines[-3:]}"
                )
            if line is None:
                pytest.fail(
                    f"the worker ended before {count} x {wanted!r}: {self.lines[-3:]}"
                    f"\n{self.process.stderr.read()}"
                )
            self.lines.append(line)

    def send(self, line: str = "go") -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        """SIGKILL, then collect every line it printed before it died."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(line)
        self.close()

    def finish(self) -> int:
        """Let it end by itself; return its exit status (stderr must hold no traceback)."""
        self.process.stdin.close()
        status = self.process.wait(timeout=WAIT)
        self._reader.join(timeout=WAIT)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(line)
        errors = self.process.stderr.read()
        assert "Traceback" not in errors, errors
        self.close()
        return status

    def close(self) -> None:
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if not stream.closed:
                stream.close()


def assert_whole(project_dir: Path) -> Project:
    """The project opens, SQLite finds no damage, and doctor finds no problem (every
    transcript has all its turns and sentences, no coding points outside its text)."""
    problems = [f for f in check_project(project_dir) if f.severity == "problem"]
    assert not problems, "\n".join(map(str, problems))
    project = Project.open(project_dir)
    assert project.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert project.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    return project


# --- crashes --------------------------------------------------------------------------------


def write_batch(folder: Path, n: int = 12) -> list[Path]:
    """``n`` distinct transcripts (new text each, so each is segmented)."""
    body = A01.read_text(encoding="utf-8").split("\n\n", 1)[1]
    files = []
    for i in range(n):
        path = folder / f"K{i:02d}.txt"
        path.write_text(
            f"编号：K{i:02d}\n\n" + body[i * 100 :] + f"\n\n受访者：第{i}份。\n", encoding="utf-8"
        )
        files.append(path)
    return files


@pytest.fixture
def coded_project(sample_project_dir: Path, tmp_path: Path) -> tuple[Path, list[Path], dict]:
    """The sample study with three codings on A01, a batch of twelve new transcripts and an
    edited A01 (so the import also re-anchors codings inside its transaction)."""
    with Project.open(sample_project_dir) as project:
        text = project.transcript("A01").text
        for passage in ("教了三十多年语文", "刷脸就行", "我当时其实是不知道有这个东西的"):
            start = text.index(passage)
            project.add_coding("A01", start, start + len(passage), "problems.content", "wang")
        before = {c.id: (c.start, c.end, c.status) for c in project.codings(status=None)}
    batch = tmp_path / "batch"
    batch.mkdir()
    files = write_batch(batch)
    edited = batch / "A01_zhang.txt"
    edited.write_text(
        "前言：补录。\n"
        + A01.read_text(encoding="utf-8").replace("我当时其实是不知道有这个东西的，", ""),
        encoding="utf-8",
    )
    return sample_project_dir, [*files, edited], before


@pytest.mark.parametrize("kill_at", ["prepared K03", "stored K02", "stored A01_zhang", "committed"])
def test_an_import_killed_anywhere_leaves_all_of_it_or_none(coded_project, kill_at: str):
    project_dir, files, codings_before = coded_project
    pause = {"stored K02": 3, "stored A01_zhang": len(files)}.get(kill_at)
    worker = Worker("import", project_dir, *(["--pause-after", pause] if pause else []), *files)
    worker.wait_for(kill_at)
    worker.kill()
    names = {path.stem for path in files} - {"A01_zhang"}
    with assert_whole(project_dir) as project:
        present = names & set(project.transcript_names())
        codings = {c.id: (c.start, c.end, c.status) for c in project.codings(status=None)}
        if kill_at == "committed":
            assert present == names
            assert project.transcript("A01").text.startswith("前言：补录。")
            assert sorted(s for _, _, s in codings.values()) == [
                "confirmed",
                "confirmed",
                "unplaced",
            ]
        else:
            assert present == set()  # none of the batch: no partial import
            assert project.transcript("A01").text == A01.read_text(encoding="utf-8")
            assert codings == codings_before  # the re-anchoring was rolled back with it
        for name in present:
            stored = project.transcript(name)
            assert stored.turns and stored.sentences


@pytest.mark.parametrize("kill_after", [5, 80])
def test_codings_killed_midway_keep_every_reported_one_and_no_half_one(
    sample_project_dir: Path, kill_after: int
):
    worker = Worker("code", sample_project_dir, "wang", 100_000)
    worker.wait_for("ready")
    worker.send()
    worker.wait_for("coded", kill_after)
    worker.kill()
    reported = {int(line.split()[1]) for line in worker.lines if line.startswith("coded")}
    assert len(reported) >= kill_after
    with assert_whole(sample_project_dir) as project:
        present = {c.id for c in project.codings(status=None)}
        assert reported <= present
        assert len(present - reported) <= 1  # committed, killed before it was printed
        logged = [
            json.loads(r[0])[0]["key"]
            for r in project.conn.execute(
                "SELECT changes FROM undo_log WHERE action = 'code' ORDER BY id"
            )
        ]
        assert sorted(logged) == sorted(present)  # each coding with its undo entry, or neither


# --- two processes on one project -----------------------------------------------------------


def test_two_processes_coding_at_once_lose_nothing(sample_project_dir: Path):
    workers = [Worker("code", sample_project_dir, coder, 200) for coder in ("wang", "li")]
    for worker in workers:
        worker.wait_for("ready")
    for worker in workers:
        worker.send()
    assert [worker.finish() for worker in workers] == [0, 0]
    with assert_whole(sample_project_dir) as project:
        codings = project.codings()
        assert len(codings) == 400
        assert {coder: sum(c.coder == coder for c in codings) for coder in ("wang", "li")} == {
            "wang": 200,
            "li": 200,
        }


def test_an_import_is_stored_against_what_another_process_wrote_meanwhile(
    sample_project_dir: Path, tmp_path: Path
):
    from qualcode import pipeline
    from qualcode.study import segmenter_for
    from qualcode.transcripts import read_transcript

    new, edited = tmp_path / "N1.txt", tmp_path / "A01_zhang.txt"
    new.write_text("受访者：两个窗口同时导入的一份。\n", encoding="utf-8")
    edited.write_text("前言。\n" + A01.read_text(encoding="utf-8"), encoding="utf-8")
    with Project.open(sample_project_dir) as mine, Project.open(sample_project_dir) as other:
        segmenter = segmenter_for(mine)
        text = mine.transcript("A01").text
        early = mine.add_coding(
            "A01", text.index("刷脸就行"), text.index("刷脸就行") + 4, "problems.content", "wang"
        )
        prepared = pipeline.prepare(
            mine,
            [
                pipeline.Source.parsed(path.stem, read_transcript(path), path)
                for path in (new, edited)
            ],
            segmenter=segmenter,
        )
        import_files(other, [new])  # the other window imports the same new file first ...
        start = text.index("教了三十多年语文")  # ... and codes A01 after the diff was made
        late = other.add_coding("A01", start, start + 8, "problems.content", "li")
        with mine.transaction():
            results = pipeline.write(mine, prepared)
        assert [r.status for r in results] == ["unchanged", "replaced"]
        assert results[1].reanchored.moved == 2
        assert [(c.id, c.text) for c in mine.codings("A01")] == [
            (late.id, "教了三十多年语文"),
            (early.id, "刷脸就行"),
        ]


@pytest.fixture
def held_project(sample_project_dir: Path, monkeypatch: pytest.MonkeyPatch):
    """The sample project while another process holds its write lock; a busy timeout of
    0.3 s here, so the wait is short."""
    monkeypatch.setattr(qualcode.store, "BUSY_TIMEOUT_MS", 300)
    holder = Worker("hold", sample_project_dir)
    holder.wait_for("holding")
    yield sample_project_dir, holder
    if holder.process.poll() is None:
        holder.kill()


def test_a_writer_blocked_past_the_busy_timeout_is_told_clearly(held_project, tmp_path):
    project_dir, holder = held_project
    with Project.open(project_dir) as project:  # opening writes nothing: it does not wait
        s = project.sentence("A01", 3)
        assert project.codings() == []  # reading works while another process writes
        with pytest.raises(ProjectError, match="the project is busy: another qualcode window"):
            project.add_coding("A01", s.start, s.end, "problems.content", "wang")
        with pytest.raises(ProjectError, match="busy"):
            project.ensure_coder("zhao")
        with pytest.raises(ProjectError, match="busy"):
            project.set_transcript_memo("A01", "wang", "备忘")
        with pytest.raises(ProjectError, match="busy"):  # even a write on a bare cursor
            project.conn.cursor().execute("INSERT INTO coders VALUES ('zhao', 'now')")
        new = tmp_path / "N1.txt"
        new.write_text("受访者：新的一份。\n", encoding="utf-8")
        with pytest.raises(ProjectError, match="busy"):
            import_files(project, [new])
        assert "N1" not in project.transcript_names()
        assert holder.finish() == 0  # the other process ends its transaction
        coding = project.add_coding("A01", s.start, s.end, "problems.content", "wang")
        assert project.codings() == [coding]


def test_the_command_line_says_busy_in_one_line_without_a_traceback(held_project):
    project_dir, _ = held_project
    result = CliRunner().invoke(
        main,
        ["code", str(project_dir), "A01", "3", "problems.content", "--coder", "wang"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert "error:" in result.output and "busy" in result.output
    assert "Traceback" not in result.output and "OperationalError" not in result.output


# --- files readable by their owner only -----------------------------------------------------


def modes(folder: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir() if p.is_file()}


def test_project_files_are_created_readable_by_their_owner_only(tmp_path):
    old_umask = os.umask(0o022)
    try:
        with Project.create(tmp_path / "p") as project:
            project.ensure_coder("wang")  # a write: the WAL and shared-memory files exist now
            backup = project.backup()
            files = modes(project.folder)
    finally:
        os.umask(old_umask)
    assert {"qualcode.db", "qualcode.db-wal", "qualcode.db-shm", backup.name} <= set(files)
    assert set(files.values()) == {0o600}, files


# --- qualcode doctor ------------------------------------------------------------------------


def doctor(*args: object):
    return CliRunner().invoke(main, ["doctor", *map(str, args)], catch_exceptions=False)


def problems(project_dir: Path) -> list[str]:
    return [f.message for f in check_project(project_dir) if f.severity == "problem"]


def test_doctor_finds_nothing_wrong_with_a_healthy_project(sample_project_dir: Path):
    result = doctor(sample_project_dir)
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output


def test_doctor_finds_files_others_can_read_and_repair_fixes_them(sample_project_dir: Path):
    db = sample_project_dir / "qualcode.db"
    db.chmod(0o644)
    result = doctor(sample_project_dir)
    assert result.exit_code == 1
    assert "can be read by other users (mode 644)" in result.output
    assert f"chmod 600 {db}" in result.output
    result = doctor(sample_project_dir, "--repair")
    assert result.exit_code == 0, result.output
    assert "repaired:" in result.output
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def raw(project_dir: Path) -> sqlite3.Connection:
    """The database as a damaging bug (or a hand edit) would reach it: no foreign keys."""
    return sqlite3.connect(project_dir / "qualcode.db", isolation_level=None)


def test_doctor_finds_codings_outside_their_text_and_with_unknown_codes(sample_project):
    s = sample_project.sentence("A01", 2)
    coding = sample_project.add_coding("A01", s.start, s.end, "problems.content", "wang")
    other = sample_project.add_coding("A03", 0, 4, "problems.content", "wang")
    with raw(sample_project.folder) as conn:
        conn.execute("UPDATE codings SET end = 10000000 WHERE id = ?", (coding.id,))
        conn.execute("UPDATE codings SET code_id = 'ghost' WHERE id = ?", (other.id,))
        conn.execute(
            "INSERT INTO codes (id, parent_id, position, label) "
            "VALUES ('lost.child', 'lost', 99, '孤儿')"
        )
    found = "\n".join(problems(sample_project.folder))
    assert f"1 codings point outside their transcript's text: #{coding.id} A01_zhang" in found
    assert "1 codings use codes missing from the codebook: ghost" in found
    assert "1 codes have a parent code that does not exist: lost.child (parent lost)" in found
    result = doctor(sample_project.folder)
    assert result.exit_code == 1
    assert "repair: " in result.output and "--repair" not in result.output.splitlines()[-1]


def test_doctor_finds_rows_pointing_nowhere(sample_project):
    with raw(sample_project.folder) as conn:
        conn.execute(
            "INSERT INTO codings (transcript_id, start, end, code_id, coder, created, "
            "changed) VALUES (999, 0, 1, 'problems.content', 'wang', 'x', 'x')"
        )
    assert "1 rows of codings point to transcripts rows that do not exist" in problems(
        sample_project.folder
    )


def test_doctor_finds_missing_sentences_and_repair_rebuilds_them(sample_project):
    s = sample_project.sentence("A02", 5)
    coding = sample_project.add_coding("A02", s.start, s.end, "problems.content", "wang")
    sentences = [(x.start, x.end) for x in sample_project.transcript("A02").sentences]
    transcript_id = sample_project.transcript("A02").id
    with raw(sample_project.folder) as conn:
        conn.execute("DELETE FROM sentences WHERE transcript_id = ? AND idx > 10", (transcript_id,))
        conn.execute(
            "UPDATE turns SET end = 99999999 WHERE transcript_id = ? AND idx = 2", (transcript_id,)
        )
    (found,) = problems(sample_project.folder)
    assert found.startswith("transcript A02_li: ")
    assert "some of its sentences are missing" in found and "turns lie outside its text" in found
    result = doctor(sample_project.folder)
    assert result.exit_code == 1 and "--repair" in result.output
    result = doctor(sample_project.folder, "--repair")
    assert result.exit_code == 0, result.output
    assert "A02_li: turns, sentences and words rebuilt" in result.output
    assert [(x.start, x.end) for x in sample_project.transcript("A02").sentences] == sentences
    assert sample_project.codings("A02") == [sample_project.coding(coding.id)]
    (backup,) = sample_project.folder.glob("qualcode.before-repair*.db")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_doctor_reports_a_damaged_file_and_repair_leaves_it_alone(sample_project_dir: Path):
    db = sample_project_dir / "qualcode.db"
    with Project.open(sample_project_dir) as project:
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 7 * page):  # scribble over some pages
        data[offset + 100 : offset + 400] = os.urandom(300)
    db.write_bytes(bytes(data))
    before = db.read_bytes()
    result = doctor(sample_project_dir, "--repair")
    assert result.exit_code == 1
    assert "problem:" in result.output and "recover" in result.output
    assert "Traceback" not in result.output
    assert db.read_bytes() == before


def test_doctor_on_something_that_is_not_a_project(tmp_path):
    result = doctor(tmp_path)
    assert result.exit_code == 1 and "no qualcode project here" in result.output
    (tmp_path / "qualcode.db").write_text("这不是数据库" * 200, encoding="utf-8")
    (tmp_path / "qualcode.db").chmod(0o600)
    result = doctor(tmp_path)
    assert result.exit_code == 1 and "cannot be read" in result.output
    with pytest.raises(ProjectError, match="damaged or unreadable .file is not a database"):
        Project.open(tmp_path)


def test_unplaced_codings_are_a_note_not_a_problem(sample_project, tmp_path):
    text = sample_project.transcript("A01").text
    start = text.index("刷脸就行")
    sample_project.add_coding("A01", start, start + 4, "problems.content", "wang")
    source = tmp_path / "A01_zhang.txt"
    source.write_text(A01.read_text(encoding="utf-8").replace("刷脸就行", ""), encoding="utf-8")
    import_files(sample_project, [source])
    findings = check_project(sample_project.folder)
    assert [(f.severity, f.message) for f in findings] == [
        ("note", "1 codings could not be placed when their transcripts changed (A01_zhang: 1)")
    ]
    assert "--status unplaced" in findings[0].repair
    assert doctor(sample_project.folder).exit_code == 0


def test_repair_without_anything_to_repair_writes_nothing(sample_project_dir: Path):
    assert repair_project(sample_project_dir) == []
    assert not list(sample_project_dir.glob("qualcode.before-repair*"))


@pytest.mark.parametrize("sample", ["sub_whisperx.json", "lab_whisperx.txt", "sub_whisperx.srt"])
def test_repair_rebuilds_turns_as_the_import_read_them(tmp_path: Path, sample: str):
    # A Whisper JSON renamed to .txt is stored as rendered lines: the rebuild must read them as
    # such, and a WhisperX text or SRT as the verbatim text it is.
    layouts = Path(__file__).parent / "data" / "layouts"
    renamed = tmp_path / (Path(sample).stem + ".txt")
    renamed.write_bytes((layouts / sample).read_bytes())
    with Project.create(tmp_path / "study") as project:
        (result,) = import_files(project, [renamed])
        name = result.name
        turns = project.transcript(name).turns
        transcript_id = project.transcript(name).id
    with raw(tmp_path / "study") as conn:
        conn.execute("DELETE FROM sentences WHERE transcript_id = ?", (transcript_id,))
    result = doctor(tmp_path / "study", "--repair")
    assert result.exit_code == 0, result.output
    with Project.open(tmp_path / "study") as project:
        assert project.transcript(name).turns == turns
        assert [t.speaker for t in turns].count("SPEAKER_00") >= 2
