"""The one import pipeline (qualcode.pipeline): read → segment in parts → write, used by
transcript files, survey answers and REFI-QDA sources, with progress shown on a terminal only."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from array import array
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from qualcode import pipeline
from qualcode.cli import main
from qualcode.exchange import refi
from qualcode.progress import Progress
from qualcode.segment import Segmenter
from qualcode.store import Project
from qualcode.study import import_files, init_project, segmenter_for
from qualcode.surveys import import_survey, read_survey
from qualcode.transcripts import parse_transcript, read_transcript

from .conftest import SAMPLE_TRANSCRIPTS

REPO = Path(__file__).resolve().parents[1]


class Recorded(Progress):
    """Every report, in order: ("start", description, total) and ("advance", amount, done)."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def start(self, description: str, total: float | None = None) -> None:
        self.events.append(("start", description, total))

    def advance(self, amount: float = 1, done: str | None = None) -> None:
        self.events.append(("advance", amount, done))

    def done(self, stage: str) -> list[str]:
        """The items named done in ``stage``, in order."""
        current, names = None, []
        for kind, first, second in self.events:
            if kind == "start":
                current = first
            elif current == stage and second is not None:
                names.append(second)
        return names

    def advanced(self, stage: str) -> float:
        current, total = None, 0.0
        for kind, first, _ in self.events:
            if kind == "start":
                current = first
            elif current == stage:
                total += first
        return total


def stored(project: Project, name: str) -> tuple[list[int], list[tuple[int, int, int]]]:
    """A transcript's word ends and (start, end, turn) sentences, as stored."""
    transcript_id, digest = project.stored_hash(name)
    words = array("i")
    words.frombytes(
        project.conn.execute(
            "SELECT words FROM segmentations WHERE hash = ?", (digest,)
        ).fetchone()[0]
    )
    sentences = [
        tuple(row)
        for row in project.conn.execute(
            "SELECT start, end, turn_idx FROM sentences WHERE transcript_id = ? ORDER BY idx",
            (transcript_id,),
        )
    ]
    return list(words), sentences


def whole(segmenter: Segmenter, text: str, turns) -> tuple[list[int], list[tuple[int, int, int]]]:
    """What segmenting the whole text in one go gives (the store's format)."""
    result = segmenter.segment_transcript(text, turns)
    return ([w.end for w in result.words], [(s.start, s.end, turn) for s, turn in result.sentences])


def test_the_sample_study_is_stored_as_whole_text_segmentation_gives(sample_project):
    segmenter = segmenter_for(sample_project)
    for name in sample_project.transcript_names():
        transcript = sample_project.transcript(name)
        parsed = parse_transcript(transcript.text)
        assert stored(sample_project, name) == whole(segmenter, transcript.text, parsed.turns)


MIXED_TURN = (
    "受访者：我觉得👩‍👩‍👧这个网站（law.coa.gov.tw）还行？嗯……说不清！\n"
    "访谈者：Ｅ-mail 呢？2018-05-25 那次 e\u0301 对吧;\n\n"
)


@pytest.mark.parametrize("part_chars", [1, 40, 500])
def test_segmenting_in_parts_gives_exactly_the_whole_text_segmentation(part_chars):
    segmenter = Segmenter(user_words=["政务服务网"])
    for path in SAMPLE_TRANSCRIPTS[:3]:
        text = read_transcript(path).text
        mixed = "标题：测试\n\n" + MIXED_TURN * 30 + text
        parsed = parse_transcript(mixed)
        parts = list(segmenter.segment_in_parts(mixed, parsed.turns, part_chars))
        assert len(parts) > 1
        assert [p.start for p in parts[1:]] == [p.end for p in parts[:-1]]
        words = [end for part in parts for end in part.word_ends]
        sentences = [s for part in parts for s in part.sentences]
        assert (words, sentences) == whole(segmenter, mixed, parsed.turns)


def test_a_text_without_turns_is_one_part():
    segmenter = Segmenter()
    text = "没有说话人标签的一段话。第二句！\n第三行"
    (part,) = segmenter.segment_in_parts(text, [], 1)
    assert (list(part.word_ends), part.sentences) == whole(segmenter, text, [])


def test_a_long_transcript_is_segmented_in_parts_and_stored_as_one_text(tmp_path):
    body = "".join(
        read_transcript(p).text for p in SAMPLE_TRANSCRIPTS if p.name.startswith(("A01", "A04"))
    )
    source = tmp_path / "long.txt"
    source.write_text(body * 80, encoding="utf-8")  # several parts of PART_CHARS
    recorded = Recorded()
    with init_project(tmp_path / "p") as project:
        (result,) = import_files(project, [source], progress=recorded)
        text = project.transcript("long").text
        assert len(text) > 2 * 2**18
        assert result.status == "added" and result.sentences == len(stored(project, "long")[1])
        parsed = parse_transcript(text)
        assert stored(project, "long") == whole(segmenter_for(project), text, parsed.turns)
    segmenting = [e for e in recorded.events if e[0] == "advance" and e[1] > 0]
    assert len(segmenting) > 2  # the bar moves while one big file is segmented
    assert recorded.advanced(pipeline.READING) == source.stat().st_size


def test_import_reports_each_file_read_then_each_written(tmp_path):
    files = []
    for name, line in (
        ("B1", "受访者：第一份。"),
        ("B2", "受访者：第二份。"),
        ("B3", "受访者：第一份。"),
    ):
        files.append(tmp_path / f"{name}.txt")
        files[-1].write_text(line + "\n", encoding="utf-8")
    recorded = Recorded()
    with init_project(tmp_path / "p") as project:
        results = import_files(project, files, progress=recorded, allow_duplicates=True)
        assert [r.segmented for r in results] == [True, True, False]  # same text: once
        assert [e[1] for e in recorded.events if e[0] == "start"] == [
            pipeline.READING,
            pipeline.WRITING,
        ]
        assert recorded.done(pipeline.READING) == ["B1", "B2", "B3"]
        assert recorded.done(pipeline.WRITING) == ["B1", "B2", "B3"]
        assert recorded.advanced(pipeline.READING) == sum(f.stat().st_size for f in files)
        again = Recorded()
        assert {
            r.status for r in import_files(project, files, progress=again, allow_duplicates=True)
        } == {"unchanged"}


def test_a_bad_file_after_good_ones_stores_nothing(tmp_path):
    good, bad = tmp_path / "G.txt", tmp_path / "H.docx"
    good.write_text("受访者：好的。\n", encoding="utf-8")
    bad.write_bytes(b"not a zip")
    with init_project(tmp_path / "p") as project:
        with pytest.raises(Exception, match="H.docx"):
            import_files(project, [good, bad])
        assert project.transcript_names() == []


def test_survey_answers_come_in_through_the_pipeline(tmp_path):
    export = tmp_path / "survey.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["序号", "1、性别", "12、您没有使用政务服务网的原因是？"])
    for i, reason in enumerate(
        [
            "不知道有这个网站，一直去窗口办理",
            "操作太复杂了，老年人根本不会用",
            "网站经常打不开，登录要验证很多次",
        ],
        start=1,
    ):
        book.active.append([i, "女", reason])
    book.save(export)
    recorded = Recorded()
    with init_project(tmp_path / "p") as project:
        results = import_survey(
            project, read_survey(export, open_columns=["Q12"]), export, progress=recorded
        )
        assert (
            recorded.done(pipeline.WRITING)
            == [r.name for r in results]
            == ["Q12_R0001", "Q12_R0002", "Q12_R0003"]
        )
        assert project.transcript_cases()["Q12_R0002"] == "R0002"


def test_refi_sources_come_in_through_the_pipeline(sample_project, tmp_path):
    archive = tmp_path / "study.qdpx"
    exported = Recorded()
    refi.export_qdpx(sample_project, archive, progress=exported)
    names = sample_project.transcript_names()
    assert exported.done("exporting") == names
    recorded = Recorded()
    refi.import_qdpx(archive, tmp_path / "back", progress=recorded)
    assert sorted(recorded.done(pipeline.WRITING)) == sorted(names)
    with Project.open(tmp_path / "back") as back:
        for name in names:
            text = back.transcript(name).text
            assert stored(back, name) == whole(
                segmenter_for(back), text, parse_transcript(text).turns
            )


# --- progress bars on the command line ------------------------------------------------------


def run_on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``python -m qualcode ARGS`` with stderr on a pseudo-terminal; (status, stderr)."""
    parent, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "qualcode", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=child,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(child)
    seen = bytearray()
    while True:
        ready, _, _ = select.select([parent], [], [], 1)
        if ready:
            try:
                chunk = os.read(parent, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            seen += chunk
        elif process.poll() is not None:
            break
    os.close(parent)
    return process.wait(), seen.decode("utf-8", "replace")


def test_import_draws_a_progress_bar_on_a_terminal_only(tmp_path):
    source = tmp_path / "T1.txt"
    source.write_text("受访者：我觉得还行。\n访谈者：为什么？\n", encoding="utf-8")
    for project in ("p", "p2"):
        assert CliRunner().invoke(main, ["init", str(tmp_path / project)]).exit_code == 0
    status, stderr = run_on_terminal(["import", str(tmp_path / "p"), str(source)], tmp_path)
    assert status == 0
    assert pipeline.READING in stderr and "\x1b[" in stderr  # drawn, with cursor control
    piped = subprocess.run(
        [sys.executable, "-m", "qualcode", "import", str(tmp_path / "p2"), str(source)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert piped.returncode == 0
    assert pipeline.READING not in piped.stderr and "\x1b[" not in piped.stderr
