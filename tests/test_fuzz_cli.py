"""Every command that reads a file, fed what a researcher's disk really holds: random bytes,
empty files, files cut off half-way, and files of one kind under another kind's name.

A traceback reaching a user is a bug (DESIGN.md, errors.py). So each run must end either in
a normal result (a cut-off transcript is still a transcript) or in one clear line,
``error: …``, naming the file, and a non-zero exit. Garbage (random bytes, an empty file)
must always be refused that way. The commands are the ones ``qualcode --help`` and each
group's help list as taking a file (test_every_file_reading_command_is_fuzzed keeps the list
honest when a command is added); the project's own files (its database, its stop word list)
are fuzzed too.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from qualcode.cli import main
from qualcode.codebook import load_codebook
from qualcode.exchange import refi
from qualcode.exchange.codings import CODINGS_COLUMNS
from qualcode.study import init_project

from .conftest import SAMPLE_ATTRIBUTES, SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS

# --- valid files of every kind, to cut off and to misname ------------------------------------


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _codings_rows() -> list[list[object]]:
    return [
        CODINGS_COLUMNS,
        [
            1,
            "A01_zhang",
            0,
            4,
            "problems.awareness",
            "知晓度",
            "wang",
            "confirmed",
            "备注",
            "我不知道",
            "2024-05-01T10:00:00+0800",
            "abc",
        ],
    ]


def _samples(folder: Path) -> dict[str, bytes]:
    """One valid file of each kind qualcode reads, by kind."""
    docx = next(p for p in SAMPLE_TRANSCRIPTS if p.suffix == ".docx")
    txt = next(p for p in SAMPLE_TRANSCRIPTS if p.suffix == ".txt")
    qdc = folder / "sample.qdc"
    refi.write_qdc(load_codebook(SAMPLE_CODEBOOK), qdc)
    with init_project(folder / "qdpx-source", SAMPLE_CODEBOOK) as project:
        refi.export_qdpx(project, folder / "sample.qdpx")
    survey = [
        ["编号", "1、您的性别", "2、您没有使用政务服务网的原因是？"],
        [1, "女", "不知道有这个网站，也没人告诉过我"],
        [2, "男", "网站老是闪退，办事还得跑窗口"],
    ]
    codings = _codings_rows()
    csv_text = "\n".join(",".join(str(v) for v in row) for row in codings) + "\n"
    return {
        "txt": txt.read_bytes(),
        "docx": docx.read_bytes(),
        "srt": "1\n00:00:01,000 --> 00:00:03,000\n我不知道有这个网站\n\n"
        "2\n00:00:03,500 --> 00:00:05,000\n没人告诉过我\n".encode(),
        "json": json.dumps(
            {
                "segments": [
                    {"start": 0.0, "end": 2.0, "text": "我不知道有这个网站"},
                    {"start": 2.0, "end": 4.0, "text": "没人告诉过我"},
                ]
            },
            ensure_ascii=False,
        ).encode(),
        "attributes": SAMPLE_ATTRIBUTES.read_bytes(),
        "survey.xlsx": _xlsx(survey),
        "survey.csv": "\n".join(",".join(map(str, row)) for row in survey).encode("utf-8-sig"),
        "codings.csv": csv_text.encode("utf-8-sig"),
        "codings.xlsx": _xlsx(codings),
        "codings.jsonl": "".join(
            json.dumps(dict(zip(codings[0], row, strict=True)), ensure_ascii=False) + "\n"
            for row in codings[1:]
        ).encode(),
        "yaml": SAMPLE_CODEBOOK.read_bytes(),
        "qdc": qdc.read_bytes(),
        "qdpx": (folder / "sample.qdpx").read_bytes(),
        "corpus.csv": "id,text\n1,我不知道有这个网站\n2,网站老是闪退\n".encode("utf-8-sig"),
        "names": "张三\n李四\n".encode(),
        "db": (folder / "qdpx-source" / "qualcode.db").read_bytes(),
    }


# --- the commands, each with the file it reads ---------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A command and the file it reads: ``args`` builds its arguments from the file, the
    project folder and a scratch folder; ``kind`` is the sample of the right kind and
    ``suffix`` the name the file is given."""

    name: str
    kind: str
    suffix: str
    args: Callable[[Path, Path, Path], list[object]]
    in_project: str | None = None  # the file is this file inside the project folder
    empty_ok: bool = False  # an empty file is a valid empty list (of names, of stop words)
    refusal: str = "error: "  # how the refusal line starts (doctor reports "problem: …")


SLOTS = [
    Slot("import", "txt", ".txt", lambda f, p, t: ["import", p, f]),
    Slot("import", "docx", ".docx", lambda f, p, t: ["import", p, f]),
    Slot("import", "srt", ".srt", lambda f, p, t: ["import", p, f]),
    Slot("import", "json", ".json", lambda f, p, t: ["import", p, f]),
    Slot("import --preview", "docx", ".docx", lambda f, p, t: ["import", "--preview", f]),
    Slot(
        "import --attributes",
        "attributes",
        ".csv",
        lambda f, p, t: ["import", p, "--attributes", f],
    ),
    Slot("import-survey", "survey.xlsx", ".xlsx", lambda f, p, t: ["import-survey", p, f]),
    Slot("import-survey", "survey.csv", ".csv", lambda f, p, t: ["import-survey", p, f]),
    Slot(
        "import-codings",
        "codings.csv",
        ".csv",
        lambda f, p, t: ["import-codings", p, f, "--coder", "li"],
    ),
    Slot(
        "import-codings",
        "codings.xlsx",
        ".xlsx",
        lambda f, p, t: ["import-codings", p, f, "--coder", "li"],
    ),
    Slot(
        "import-codings",
        "codings.jsonl",
        ".jsonl",
        lambda f, p, t: ["import-codings", p, f, "--coder", "li"],
    ),
    Slot("import-qdpx", "qdpx", ".qdpx", lambda f, p, t: ["import-qdpx", f, t / "new"]),
    Slot("codebook validate", "yaml", ".yaml", lambda f, p, t: ["codebook", "validate", f]),
    Slot("codebook show", "yaml", ".yaml", lambda f, p, t: ["codebook", "show", f]),
    Slot(
        "codebook diff", "yaml", ".yaml", lambda f, p, t: ["codebook", "diff", SAMPLE_CODEBOOK, f]
    ),
    Slot("codebook import", "qdc", ".qdc", lambda f, p, t: ["codebook", "import", p, f]),
    Slot(
        "codebook import", "yaml", ".yaml", lambda f, p, t: ["codebook", "import", p, f, "--merge"]
    ),
    Slot(
        "codebook merge",
        "qdc",
        ".qdc",
        lambda f, p, t: ["codebook", "merge", SAMPLE_CODEBOOK, f, "-o", t / "merged.yaml"],
    ),
    Slot(
        "codebook merge",
        "yaml",
        ".yaml",
        lambda f, p, t: ["codebook", "merge", f, SAMPLE_CODEBOOK, "-o", t / "merged.qdc"],
    ),
    Slot(
        "batch",
        "corpus.csv",
        ".csv",
        lambda f, p, t: [
            "batch",
            f,
            "--codebook",
            SAMPLE_CODEBOOK,
            "-o",
            t / "coded.csv",
            "--workers",
            1,
        ],
    ),
    Slot(
        "batch --codebook",
        "yaml",
        ".yaml",
        lambda f, p, t: [
            "batch",
            t / "corpus.csv",
            "--codebook",
            f,
            "-o",
            t / "coded.csv",
            "--workers",
            1,
        ],
    ),
    Slot("init --codebook", "yaml", ".yaml", lambda f, p, t: ["init", t / "new", "--codebook", f]),
    Slot(
        "redact --names",
        "names",
        ".txt",
        lambda f, p, t: ["redact", p, "--preview", "--names", f],
        empty_ok=True,
    ),
    Slot(
        "redact --keep",
        "names",
        ".txt",
        lambda f, p, t: ["redact", p, "--preview", "--keep", f],
        empty_ok=True,
    ),
    Slot("list", "db", ".db", lambda f, p, t: ["list", p], in_project="qualcode.db"),
    Slot(
        "doctor",
        "db",
        ".db",
        lambda f, p, t: ["doctor", p],
        in_project="qualcode.db",
        refusal="problem: ",
    ),
    Slot(
        "import (project word list)",
        "names",
        ".txt",
        lambda f, p, t: ["import", p, t / "transcript.txt"],
        in_project="userdict.txt",
        empty_ok=True,
    ),
    Slot(
        "redact -o (project word list)",
        "names",
        ".txt",
        lambda f, p, t: ["redact", p, "-o", t / "redacted"],
        in_project="userdict.txt",
        empty_ok=True,
    ),
    Slot(
        "report words",
        "names",
        ".txt",
        lambda f, p, t: ["report", "words", p],
        in_project="stopwords.txt",
        empty_ok=True,
    ),
]

# What each kind is misnamed as: a zip for text kinds, text for zip kinds.
_ZIP_KINDS = {"docx", "survey.xlsx", "codings.xlsx", "qdpx"}
GARBAGE = ["random-small", "random-large", "empty"]
DAMAGED = [
    "cut-third",
    "cut-half",
    "cut-last-byte",
    "misnamed-zip",
    "misnamed-text",
    "wrong-extension",
]
# The right content under an ending qualcode does not read, as a file saved "as" would have.
WRONG_SUFFIX = {
    ".txt": ".doc",
    ".docx": ".pages",
    ".srt": ".ass",
    ".json": ".xml",
    ".csv": ".xls",
    ".xlsx": ".numbers",
    ".jsonl": ".ndjson",
    ".qdpx": ".nvp",
    ".qdc": ".xml",
    ".yaml": ".json",
    ".db": ".db",
}


def _content(case: str, kind: str, samples: dict[str, bytes], seed: int) -> bytes:
    sample = samples[kind]
    if case == "random-small":
        return random.Random(seed).randbytes(257)
    if case == "random-large":
        return random.Random(seed + 1).randbytes(96 * 1024)
    if case == "empty":
        return b""
    if case == "cut-third":
        return sample[: len(sample) // 3]
    if case == "cut-half":
        return sample[: len(sample) // 2]
    if case == "cut-last-byte":
        return sample[:-1]
    if case == "misnamed-zip":
        return samples["survey.xlsx" if kind == "docx" else "docx"]
    if case == "misnamed-text":
        return samples["qdc" if kind in ("yaml", "db") else "yaml"]
    if case == "wrong-extension":
        return sample
    raise AssertionError(case)


@pytest.fixture(autouse=True)
def _own_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALCODE_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return _samples(tmp_path_factory.mktemp("samples"))


@pytest.fixture(scope="module")
def project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template") / "study"
    with init_project(folder, SAMPLE_CODEBOOK) as project:
        project.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder


def run_slot(
    slot: Slot,
    data: bytes,
    samples: dict[str, bytes],
    template: Path,
    tmp_path: Path,
    suffix: str | None = None,
):
    project = tmp_path / "study"
    shutil.copytree(template, project)
    (tmp_path / "corpus.csv").write_bytes(samples["corpus.csv"])
    (tmp_path / "transcript.txt").write_bytes(samples["txt"])
    if slot.in_project:
        target = project / slot.in_project
        for extra in ("-wal", "-shm"):
            (project / f"{slot.in_project}{extra}").unlink(missing_ok=True)
    else:
        target = tmp_path / f"input{suffix or slot.suffix}"
    target.write_bytes(data)
    args = [str(a) for a in slot.args(target, project, tmp_path)]
    result = CliRunner().invoke(main, args)
    return target, args, result


def assert_no_traceback(args: list[str], result) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"qualcode {' '.join(args)} raised a traceback:\n{trace}")
    assert "Traceback" not in result.output


def error_lines(result, refusal: str = "error: ") -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith(refusal)]


def _cases(kinds: list[str]):
    return [
        pytest.param(slot, case, id=f"{slot.name}{slot.suffix}-{case}".replace(" ", "_"))
        for slot in SLOTS
        for case in kinds
    ]


@pytest.mark.parametrize(("slot", "case"), _cases(GARBAGE))
def test_garbage_is_refused_in_one_line_naming_the_file(
    slot, case, samples, project_template, tmp_path
):
    data = _content(case, slot.kind, samples, seed=len(slot.name))
    target, args, result = run_slot(slot, data, samples, project_template, tmp_path)
    assert_no_traceback(args, result)
    if case == "empty" and slot.empty_ok:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0, f"qualcode {' '.join(args)} accepted {case}:\n{result.output}"
    lines = error_lines(result, slot.refusal)
    assert len(lines) == 1, result.output
    # The file is named (for a project's own file, the project: doctor on the next line).
    named = {target.name} | ({target.parent.name} if slot.in_project else set())
    where = lines[0] if slot.refusal == "error: " else result.output
    assert any(name in where for name in named), where


@pytest.mark.parametrize(("slot", "case"), _cases(DAMAGED))
def test_damaged_and_misnamed_files_give_a_result_or_one_clear_line(
    slot, case, samples, project_template, tmp_path
):
    data = _content(case, slot.kind, samples, seed=0)
    suffix = WRONG_SUFFIX[slot.suffix] if case == "wrong-extension" else None
    target, args, result = run_slot(slot, data, samples, project_template, tmp_path, suffix)
    assert_no_traceback(args, result)
    lines = error_lines(result, slot.refusal)
    assert len(lines) <= 1, result.output
    if lines:
        assert result.exit_code != 0
        named = {target.name} | ({target.parent.name} if slot.in_project else set())
        where = lines[0] if slot.refusal == "error: " else result.output
        assert any(name in where for name in named), where


def _file_commands(group: click.Group, prefix: str = "") -> set[str]:
    """The commands (``codebook merge``) with an argument or option that is an existing file."""
    found = set()
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found |= _file_commands(command, f"{full} ")
            continue
        for parameter in command.params:
            kind = parameter.type
            if isinstance(kind, click.Path) and kind.exists and kind.file_okay:
                found.add(full)
    return found


def test_every_file_reading_command_is_fuzzed():
    fuzzed = {slot.name.split(" --")[0] for slot in SLOTS}
    assert _file_commands(main) - fuzzed == set()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\xff" * 100,
        b'{"language": "zh", "keys": {"apply',
        b"[1, 2]",
        b'{"language": 5, "coder": ["wang"], "keys": 3, "panes": {"codebook": 1}}',
    ],
    ids=["empty", "binary", "cut-off", "not-an-object", "wrong-types"],
)
def test_a_damaged_settings_file_never_stops_a_command(content, project_template, tmp_path):
    """settings.json is read by every command: whatever it holds, they run on defaults."""
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "settings.json").write_bytes(content)
    project = tmp_path / "study"
    shutil.copytree(project_template, project)
    for args in (["report", "frequencies", str(project)], ["list", str(project)]):
        result = CliRunner().invoke(main, args)
        assert_no_traceback(args, result)
        assert result.exit_code == 0, result.output
