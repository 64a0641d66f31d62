"""Each command pays only for what it uses: what a command imports is checked in a fresh
process (``python -X importtime``), and the spaCy-free token pattern check agrees with spaCy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.autocode import Rules
from qualcode.codebook import (
    TOKEN_ATTRS,
    TOKEN_PREDICATES,
    merge_codebooks,
    parse_codebook,
    token_pattern_problem,
)
from qualcode.errors import QualcodeError
from qualcode.model import Code, Codebook

from .conftest import SAMPLE_CODEBOOK, SAMPLE_TRANSCRIPTS


def imported_by(args: list[str], cwd: Path) -> set[str]:
    """The modules ``python -m qualcode ARGS`` imports, run as a user would."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "qualcode", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }


def test_init_and_validate_do_not_import_spacy_for_a_codebook_with_token_patterns(tmp_path):
    assert "token_patterns" in SAMPLE_CODEBOOK.read_text(encoding="utf-8")
    modules = imported_by(
        ["init", str(tmp_path / "p"), "--codebook", str(SAMPLE_CODEBOOK)], tmp_path
    )
    assert "qualcode.codebook" in modules and "spacy" not in modules
    assert "spacy" not in imported_by(["codebook", "validate", str(SAMPLE_CODEBOOK)], tmp_path)


def test_list_and_show_to_a_file_build_no_terminal_table(sample_project_dir, tmp_path):
    for args in (
        ["list", str(sample_project_dir), "-o", str(tmp_path / "l.csv")],
        ["show", str(sample_project_dir), "A01", "-o", str(tmp_path / "s.csv")],
    ):
        assert "rich.table" not in imported_by(args, tmp_path)
    assert (tmp_path / "s.csv").read_text(encoding="utf-8-sig").startswith("index,start,end")


def spacy_errors(pattern: object) -> list[str]:
    from spacy.schemas import validate_token_pattern

    return validate_token_pattern(pattern)


def test_the_attribute_and_predicate_lists_are_spacys():
    from spacy.schemas import TokenPattern, TokenPatternNumber, TokenPatternString

    def aliases(model) -> set[str]:
        fields = getattr(model, "model_fields", None) or model.__fields__
        return {field.alias.upper() for field in fields.values()}

    assert aliases(TokenPattern) == TOKEN_ATTRS
    assert aliases(TokenPatternString) | aliases(TokenPatternNumber) == TOKEN_PREDICATES


PATTERNS = [
    [{"LOWER": "方便"}],
    [{"lower": "方便"}],
    [{"LOWR": "方便"}],
    [{"LOWER": {"IN": ["挺", "很"]}}],
    [{"LOWER": {"in": ["挺"]}}],
    [{"LOWER": {"ONE_OF": ["挺"]}}],
    [{"OP": "+", "ORTH": "很"}],
    [{"OP": "{2,}", "ORTH": "很"}],
    [{"OP": "{,3}", "ORTH": "很"}],
    [{"OP": "{}", "ORTH": "很"}],
    [{"OP": "++", "ORTH": "很"}],
    [{"LENGTH": {">=": 2}}],
    [{"LENGTH": {"=>": 2}}],
    [{"IS_PUNCT": True}],
    [{"TEXT": {"REGEX": "^不"}}],
    [{"TEXT": {"FUZZY3": "方便"}}],
    [{"TEXT": None}],
    [{}],
    [{"_": {"x": "y"}}],
    [{"ORTH": "好"}, {"IS_SENT_START": False}],
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_what_the_quick_check_refuses_spacy_refuses_too(pattern):
    ours = token_pattern_problem(pattern)
    if ours is not None:
        assert spacy_errors(pattern), pattern
    if any(isinstance(k, str) and k.upper() not in TOKEN_ATTRS for token in pattern for k in token):
        assert ours is not None  # a misspelt attribute is caught when the codebook loads


def test_what_only_spacy_can_tell_is_said_when_rules_are_compiled():
    book = parse_codebook(
        "qualcode_codebook: 1\nname: t\ncodes:\n  - id: a\n    label: 甲\n"
        "    token_patterns:\n      - [{LOWER: {IN: 方便}}]\n"
    )
    with pytest.raises(QualcodeError, match="code 'a': token pattern .*LOWER"):
        Rules(book)


def placed_one_by_one(ours: list[str], theirs: list[str]) -> list[str]:
    """The order a merge gives a flat codebook, placing theirs one at a time (as the merge
    once did, in time quadratic in the codebook's size): ours in our order, each code only
    theirs has right after its nearest preceding sibling in theirs, else first."""
    siblings = list(ours)
    for i, code_id in enumerate(theirs):
        if code_id in ours:
            continue
        anchor = next((s for s in reversed(theirs[:i]) if s in siblings), None)
        siblings.insert(siblings.index(anchor) + 1 if anchor else 0, code_id)
    return siblings


@pytest.mark.parametrize("seed", range(4))
def test_merging_a_flat_codebook_places_theirs_as_one_by_one_would(seed):
    import random

    rng = random.Random(seed)
    ids = [f"c{i}" for i in range(600)]
    ours = rng.sample(ids, 200)
    theirs = rng.sample(ids, 300)
    merged = merge_codebooks(
        Codebook("ours", [Code(i, i) for i in ours]),
        Codebook("theirs", [Code(i, i) for i in theirs]),
    )
    assert [c.id for c in merged.codebook.codes] == placed_one_by_one(ours, theirs)


def test_pearson_chi_square_is_scipys_without_continuity_correction():
    import numpy as np
    from scipy.stats import chi2_contingency

    from qualcode.analysis import pearson_chi_square

    rng = np.random.default_rng(3)
    for columns in (2, 3, 6):
        table = rng.integers(1, 60, size=(2, columns)).astype(float)
        chi2, p, dof, expected = pearson_chi_square(table)
        theirs = chi2_contingency(table, correction=False)
        assert np.allclose([chi2, p, dof], [theirs[0], theirs[1], theirs[2]], rtol=1e-12)
        assert np.allclose(expected, theirs[3])


# --- long tables in the terminal, the XLSX writer, the covering index ----------------------


def chi_square_grid():
    return [
        (dof, x)
        for dof in (*range(1, 12), 25, 60)
        for x in (1e-6, 0.3, 1.0, 3.84, 7.5, 20.0, 95.0, 400.0, 1500.0)
    ]


def test_chi_square_p_is_scipys_and_reports_import_no_scipy(sample_project_dir, tmp_path):
    from scipy.special import chdtrc

    from qualcode.analysis import chi_square_p

    for dof, x in chi_square_grid():
        assert chi_square_p(dof, x) == pytest.approx(float(chdtrc(dof, x)), rel=1e-12, abs=1e-300)
    for kind in (["crosstab", "--by", "age_group"], ["frequencies"], ["matrix"], ["cooccurrence"]):
        modules = imported_by(["report", kind[0], str(sample_project_dir), *kind[1:]], tmp_path)
        assert "pandas" in modules and not any(m.startswith("scipy") for m in modules), kind


MIXED = [
    "受访者",
    "A01_zhang",
    "很长的一段中文文本，会被折叠到下一行去。" * 3,
    "e\u0301t\u00e9",
    "👍🏽 好",
    "👨‍👩‍👧 家",
    "全角ＡＢＣ１２３",
    "tab\there",
    "",
    "ｶﾀｶﾅ半角",
    "x" * 70,
]


def test_text_width_is_what_rich_measures():
    from rich.cells import cell_len

    from qualcode.exchange.tables import text_width

    for text in MIXED:
        assert text_width(text) == cell_len(text), text
    assert text_width("第一行\n第二行更长") == 10


def test_streamed_rows_line_up_by_terminal_cells_and_keep_every_character():
    from rich.cells import cell_len

    from qualcode.cli.terminal import table_lines

    rows = [[str(i), text, f"{i * 7}"] for i, text in enumerate(MIXED)]
    for width in (40, 60, 120):
        header, body = table_lines(
            ["序号", "文本", "n"], [[c.replace("\t", " ") for c in r] for r in rows], width
        )
        lines = header + body
        assert {cell_len(line) for line in lines} == {cell_len(lines[0])}
        assert cell_len(lines[0]) <= width
        # each row's pieces of text, read down its column, are the text itself
        texts, current = [], None
        for line in body[:-1]:
            index, text, _ = (cell.strip(" ") for cell in line.strip("│").split("│"))
            if index:
                current = [text]
                texts.append(current)
            else:
                current.append(text)
        assert ["".join(pieces) for pieces in texts] == [
            r[1].replace("\t", " ").rstrip(" ") for r in rows
        ]


def test_a_long_table_looks_like_richs_own(tmp_path):
    """Where rich's layout is plain (Chinese text folds by cells), the streamed table is the
    table rich prints, character for character: borders, padding, alignment, title."""
    import io

    from rich.console import Console
    from rich.table import Table

    from qualcode.cli.terminal import print_long_table

    columns = ["编码", "n", "%", "摘录"]
    rows = [
        ["宣传推广", 12, 33.3, "我都不知道有这个网站，没人告诉过我。" * 2],
        ["知晓度", 3, None, "嗯"],
        ["problems.awareness", 120, 5.0, "ＡＢＣ全角"],
    ]
    for width in (44, 70, 160):
        theirs, ours = io.StringIO(), io.StringIO()
        table = Table(title="编码频次", header_style="bold")
        for i, column in enumerate(columns):
            table.add_column(
                column, justify="right" if i in (1, 2) else "left", no_wrap=i == 0, overflow="fold"
            )
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(file=theirs, width=width, soft_wrap=False).print(table)
        print_long_table(
            Console(file=ours, width=width, soft_wrap=False),
            columns,
            rows,
            "编码频次",
            right=[False, True, True, False],
            whole=[True, False, False, False],
        )
        assert ours.getvalue() == theirs.getvalue(), width


@pytest.fixture
def long_transcript(sample_project_dir: Path, tmp_path: Path) -> Path:
    """The sample study with one more transcript: three sample texts one after another."""
    from click.testing import CliRunner

    from qualcode.cli import main

    text = "\n\n".join(
        p.read_text(encoding="utf-8-sig")
        for p in SAMPLE_TRANSCRIPTS
        if p.stem[:3] in ("A01", "A04", "A05")
    )
    source = tmp_path / "long.txt"
    source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(sample_project_dir), str(source)])
    assert result.exit_code == 0, result.output
    return sample_project_dir


def test_show_of_a_long_transcript_prints_every_sentence_and_writes_the_same_rows(
    long_transcript: Path,
    tmp_path: Path,
):
    import csv

    from click.testing import CliRunner
    from openpyxl import load_workbook
    from rich.cells import cell_len

    from qualcode.cli import LONG_TABLE, main
    from qualcode.store import Project

    with Project.open(long_transcript) as project:
        sentences = list(project.transcript("long").sentences)
    assert len(sentences) > LONG_TABLE  # printed line by line, not by a rich Table
    result = CliRunner(env={"COLUMNS": "100"}).invoke(main, ["show", str(long_transcript), "long"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].strip() == "long" and lines[1].startswith("┏")
    table = lines[1:]
    assert {cell_len(line) for line in table} == {100}
    rows: list[list[str]] = []
    for line in table[3:-1]:
        cells = [cell.strip(" ") for cell in line.strip("│").split("│")]
        if cells[0]:
            rows.append(cells)
        else:
            rows[-1][4] += cells[4]
    assert [(int(r[0]), int(r[1]), int(r[2]), r[3], r[4]) for r in rows] == [
        (s.index, s.start, s.end, s.speaker, s.text.strip(" ")) for s in sentences
    ]

    csv_path, xlsx_path = tmp_path / "long.csv", tmp_path / "long.xlsx"
    for path in (csv_path, xlsx_path):
        written = CliRunner().invoke(main, ["show", str(long_transcript), "long", "-o", str(path)])
        assert written.exit_code == 0, written.output
    with open(csv_path, encoding="utf-8-sig", newline="") as handle:
        from_csv = list(csv.reader(handle))
    sheet = load_workbook(xlsx_path).active
    from_xlsx = [
        ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    assert from_xlsx == from_csv and len(from_csv) == len(sentences) + 1
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b


def test_codings_are_read_from_a_covering_index_which_an_older_project_gets(
    sample_project_dir: Path,
):
    import sqlite3

    from qualcode.store import Project

    with Project.open(sample_project_dir) as project:
        start, end = project.sentence("A01", 3).start, project.sentence("A01", 5).end - 1
        project.add_coding("A01", start, end, "problems.awareness", "wang")
        project.add_coding("A03", 10, 40, "problems.content", "li")
        before = project.summaries()
        touched = sum(
            1
            for unit in project.transcript("A01").sentences
            if unit.start < end and unit.end > start
        )
        plan = " ".join(
            str(tuple(row))
            for row in project.conn.execute(
                "EXPLAIN QUERY PLAN SELECT start, end FROM codings WHERE transcript_id = 1 "
                "AND status = 'confirmed' ORDER BY start, end"
            )
        )
        assert "COVERING INDEX codings_covering" in plan and "TEMP B-TREE" not in plan
    # a project written before the index: it is added when the project is next opened
    conn = sqlite3.connect(sample_project_dir / "qualcode.db")
    conn.executescript(
        "DROP INDEX codings_covering; DELETE FROM migrations "
        "WHERE name = '0011_codings_covering_index';"
    )
    conn.close()
    with Project.open(sample_project_dir) as project:
        assert project.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'codings_covering'"
        ).fetchone()
        assert project.summaries() == before
    a01 = next(s for s in before if s.name == "A01_zhang")
    assert (a01.codings, a01.coded_sentences) == (1, touched) and touched == 3
