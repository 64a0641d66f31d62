"""Commands that report on a project (``qualcode report KIND``), measure inter-coder agreement
and bring a second coder's codings in. Each parses, calls :mod:`qualcode.analysis` or
:mod:`qualcode.agreement` (imported inside the command: pandas loads only when a report runs),
and prints the tables or writes them to a file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..exchange.tables import LANGUAGES, frame_cells
from ..store import DB_NAME, Project
from . import emit, main, open_project, project_argument
from . import output_option as table_output_option
from .privacy import redact_option

if TYPE_CHECKING:
    import pandas as pd

    from ..charts import CodeStyle

LANG_HELP = (
    "Headers, notes and chart labels in Chinese or English (default: the UI "
    "language: QUALCODE_LANG, the saved choice, else the locale)."
)
CHART_HELP = (
    "-o FILE.png (300 dpi), .svg or .pdf draws the report's chart instead, with "
    "Chinese labels in a Chinese font."
)


def output_option(function):
    """-o FILE and --format, --lang, and --redact: every report and agreement can write its
    tables (or chart) in Chinese or English, with personal data replaced by pseudonyms."""
    function = click.option("--lang", type=click.Choice(LANGUAGES), help=LANG_HELP)(function)
    return table_output_option(redact_option(function))


def where_option(function):
    """--where ATTR=VALUE / ATTR!=VALUE (repeatable): only respondents meeting every
    condition (:func:`qualcode.attribute_filter.matching_transcripts`)."""
    return click.option(
        "--where",
        "where",
        multiple=True,
        metavar="ATTR=VALUE",
        help="Only respondents whose attribute has this value (ATTR!=VALUE: "
        "does not); repeat to combine with AND, e.g. --where gender=女 "
        "--where age_group!=60岁及以上.",
    )(function)


@dataclass(frozen=True, slots=True)
class Chart:
    """What a report's chart needs beside its tables: the kind of chart, each code's depth
    and colour, and (cross-tab) what the columns are."""

    kind: str
    codes: dict[str, CodeStyle] = field(default_factory=dict)
    label: str = ""


def _chart_codes(opened: Project) -> dict[str, CodeStyle]:
    from ..charts import code_styles

    return code_styles(opened)


def _indent_labels(columns: list[str], rows: list[list[object]], depth: dict[str, int]) -> None:
    """Indent the ``code`` column by each code's depth in the tree (terminal only)."""
    if "code_id" not in columns or "code" not in columns:
        return
    i, j = columns.index("code_id"), columns.index("code")
    for row in rows:
        row[j] = "  " * depth.get(str(row[i]), 0) + str(row[j] or "")


def show_tables(
    tables: Sequence[tuple[str, pd.DataFrame]],
    output: Path | None,
    fmt: str | None,
    title: str,
    depth: dict[str, int] | None = None,
    *,
    lang: str | None = None,
    note: tuple[str, dict[str, Any]] | None = None,
    chart: Chart | None = None,
) -> None:
    """Print a report's tables in the terminal, or write them all to ``output``: tables
    (headers in ``lang``, the note ``(kind, fields)`` of
    :func:`qualcode.exchange.tables.table_note` under each), or the ``chart`` when
    ``output`` ends in .png, .svg or .pdf."""
    from ..charts import chart_format
    from ..exchange.tables import localize, table_language, table_note

    language = table_language(lang)
    note_text = ""
    if note is not None:
        from ..attribute_filter import describe

        kind, fields = note
        note_text = table_note(
            kind, language, **{**fields, "where": describe(fields.get("where"), language)}
        )
    if output is not None and fmt is None and chart_format(output):
        from ..charts import write_chart
        from ..errors import ReportError

        if chart is None:
            raise ReportError(
                "this report has no chart; write its table to .xlsx, .csv, .md or .tex", path=output
            )
        write_chart(output, chart.kind, tables, codes=chart.codes, lang=language, label=chart.label)
        click.echo(f"wrote the {chart.kind} chart to {output}", err=True)
        return
    if output is not None:
        from ..exchange.tables import parents_column, table_format, write_tables

        # Files get full precision (Markdown and LaTeX round and say so); CSV and JSON Lines,
        # which carry no note, say how parents were counted in a column.
        kind, fields = note if note is not None else ("", {})
        bare = table_format(output, fmt) in ("csv", "jsonl")
        named = [
            localize(parents_column(table, kind, fields.get("rollup")) if bare else table, language)
            for table in ((name, *frame_cells(frame, rounded=False)) for name, frame in tables)
        ]
        written = write_tables(output, named, fmt, note=note_text, lang=language)
        for path, (name, frame) in zip(written, tables, strict=False):
            click.echo(f"wrote {name}: {len(frame)} rows to {path}", err=True)
        if len(written) == 1 and len(tables) > 1:
            click.echo(f"  ({len(tables)} tables: {', '.join(n for n, _ in tables)})", err=True)
        return
    for name, frame in tables:
        columns, rows = frame_cells(frame, percent="%" in name)
        if depth:
            _indent_labels(columns, rows, depth)
        name, columns, rows = localize((name, columns, rows), language)
        print_table(columns, rows, f"{title}: {name}" if len(tables) > 1 else title)
    if note_text:
        click.echo(note_text, err=True)
    if any(frame.select_dtypes("float").size for _, frame in tables):
        from ..exchange.tables import rounding_note

        click.echo(rounding_note(language), err=True)


def print_table(columns: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> None:
    """A report table in the terminal (CJK-width aware), numbers right-aligned, ids and
    labels never folded. Piped into a file or a pager, rows are never wrapped at all."""
    from rich.console import Console

    console = Console(soft_wrap=False)
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) or row[i] is None for row in rows)
        for i in range(len(columns))
    ]
    if len(rows) * len(columns) > LONG_REPORT:
        from .terminal import print_long_table

        print_long_table(
            console,
            columns,
            rows,
            title,
            right=numeric,
            whole=[column in _NO_WRAP for column in columns],
            fit=console.is_terminal,
        )
        return
    from rich.table import Table

    if not console.is_terminal:
        console = Console(soft_wrap=False, width=max(console.width, 1000))
    table = Table(title=title, header_style="bold")
    for i, column in enumerate(columns):
        table.add_column(
            column,
            justify="right" if numeric[i] else "left",
            no_wrap=column in _NO_WRAP,
            overflow="fold",
        )
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


LONG_REPORT = 100
"""Cells past which a report table is printed line by line (:mod:`qualcode.cli.terminal`)
rather than through a rich ``Table``, which renders every cell first: the five tables of a
cross-tab of 22 codes took it 0.17 s, the matrix of 1,000 transcripts 0.7 s."""

# Ids, labels and words are never folded (in either language's headers).
_NO_WRAP = {"code_id", "code", "word", "编码ID", "编码", "词语"}


def _depths(opened: Project) -> dict[str, int]:
    return {code.id: depth for code, _, depth in opened.codebook().walk()}


def coder_option(function):
    return click.option(
        "--coder",
        "coders",
        multiple=True,
        metavar="NAME",
        help="Only this coder's codings; repeat to compare coders "
        "(frequencies puts them side by side).",
    )(function)


def status_option(function):
    return click.option(
        "--status",
        type=click.Choice(["confirmed", "suggested", "all"]),
        default="confirmed",
        show_default=True,
        help="Which codings count: confirmed ones, auto-coding suggestions "
        "not yet reviewed, or all but the rejected.",
    )(function)


def speaker_role_option(function):
    """--speaker-role ROLE (repeatable): count only what speakers with these roles said."""
    from ..roles import ROLES

    return click.option(
        "--speaker-role",
        "speaker_roles",
        multiple=True,
        type=click.Choice(ROLES, case_sensitive=False),
        metavar="ROLE",
        help="Count only what speakers with this role said: interviewer, "
        "respondent or other (repeatable; see and set roles with: qualcode "
        "speakers PROJECT).",
    )(function)


def warn_roles(opened: Project, speaker_roles: tuple[str, ...]) -> None:
    """Say which transcripts --speaker-role leaves out entirely, and how to set their roles."""
    if not speaker_roles:
        return
    from ..roles import without_roles

    if missing := without_roles(opened, speaker_roles):
        shown = ", ".join(missing[:10]) + (
            f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        )
        click.echo(
            f"note: no {' or '.join(speaker_roles)} speaks in {len(missing)} transcripts "
            f"({shown}); they count for nothing here. See and set roles with: qualcode "
            f"speakers {opened.folder} TRANSCRIPT",
            err=True,
        )


def _roles_note(speaker_roles: tuple[str, ...]) -> str:
    """`` (respondent speech)``: what a title says when --speaker-role narrowed the report."""
    return f" ({', '.join(speaker_roles)} speech)" if speaker_roles else ""


def direct_option(function):
    """--direct: count each code as coded, a parent without its children's segments."""
    return click.option(
        "--direct",
        is_flag=True,
        help="Count each code as coded: a parent only with the segments coded "
        "with it directly (default: parents include their children's "
        "segments, each segment once). Every table says which.",
    )(function)


@main.group()
def report() -> None:
    """Reports on a project's codings: frequencies, cross-tabs, matrix, co-occurrence, words,
    keyword in context. Each prints tables, or writes them with -o FILE (.csv UTF-8 with
    BOM, .xlsx, .md, .tex). Parents count the segments coded with any of their children
    (--direct: only their own), and every table says which."""


@report.command()
@project_argument
@coder_option
@status_option
@speaker_role_option
@where_option
@direct_option
@output_option
def frequencies(
    project: Path,
    direct: bool,
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    where: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Per code: segments coded, transcripts (respondents) mentioning it and their share of
    all transcripts, characters coded. -o FILE.png draws them as bars, children under their
    parents."""
    from ..analysis import frequencies as report_frequencies
    from ..attribute_filter import matching_transcripts

    with open_project(project) as opened:
        table = report_frequencies(
            opened,
            list(coders) or None,
            status=status,
            speaker_roles=speaker_roles,
            where=where,
            rollup=not direct,
        )
        depth = _depths(opened)
        chart = Chart("frequencies", _chart_codes(opened))
        base = len(matching_transcripts(opened, where) or opened.transcript_names())
        warn_roles(opened, speaker_roles)
    show_tables(
        [("frequencies", table)],
        output,
        fmt,
        "Code frequencies" + _roles_note(speaker_roles),
        depth,
        lang=lang,
        note=(
            "frequencies",
            {"base": base, "where": where, "rollup": not direct, "speaker_roles": speaker_roles},
        ),
        chart=chart,
    )


@report.command()
@project_argument
@click.option(
    "--by",
    "attribute",
    required=True,
    metavar="ATTRIBUTE",
    help="The respondent attribute whose values make the columns (e.g. age_group; "
    "a survey question by its header as exported, its number Q1, or its text).",
)
@click.option(
    "--count",
    type=click.Choice(["respondents", "segments"]),
    default="respondents",
    show_default=True,
    help="Count respondents mentioning each code, or segments.",
)
@click.option(
    "--bins",
    metavar="EDGES",
    help="Group a numeric attribute by these ascending "
    "edges, e.g. 18,30,45,60 gives <18, [18, 30), [30, 45), [45, 60) and ≥60 "
    "(a bin holds its lower edge, not its upper: 29.5 is in [18, 30)).",
)
@coder_option
@status_option
@speaker_role_option
@direct_option
@output_option
def crosstab(
    project: Path,
    direct: bool,
    attribute: str,
    count: str,
    bins: str | None,
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Codes × the values of a respondent attribute: counts with totals, row and column
    percentages, expected counts, and a chi-square test per code (flagged when expected
    counts are too small: any below 1, or more than 20 % below 5). With -o FILE.xlsx each
    table is a sheet; a CSV holds the counts, the other tables go beside it as
    FILE.row.csv, FILE.column.csv, FILE.expected.csv and FILE.chi-square.csv."""
    from ..analysis import crosstab as report_crosstab

    edges = None
    if bins:
        try:
            edges = [float(edge) for edge in bins.split(",") if edge.strip()]
        except ValueError:
            raise click.BadParameter(
                f"{bins!r}: give numbers separated by commas", param_hint="--bins"
            ) from None
        if not edges or edges != sorted(set(edges)):
            raise click.BadParameter(
                "give ascending numbers, e.g. 18,30,45,60", param_hint="--bins"
            )
    with open_project(project) as opened:
        result = report_crosstab(
            opened,
            attribute,
            count=count,
            coders=list(coders) or None,
            status=status,
            bins=edges,
            speaker_roles=speaker_roles,
            rollup=not direct,
        )
        depth = _depths(opened)
        chart = Chart("crosstab", _chart_codes(opened), result.label)
        warn_roles(opened, speaker_roles)
    show_tables(
        result.tables(),
        output,
        fmt,
        f"Codes × {result.label} ({count}){_roles_note(speaker_roles)}",
        depth,
        lang=lang,
        note=(f"crosstab.{count}", {"speaker_roles": speaker_roles, "rollup": not direct}),
        chart=chart,
    )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@report.command()
@project_argument
@click.option(
    "--presence",
    is_flag=True,
    help="1 when the transcript has the code, else 0, instead of counting segments.",
)
@coder_option
@status_option
@speaker_role_option
@direct_option
@output_option
def matrix(
    project: Path,
    direct: bool,
    presence: bool,
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Codes × transcripts: segments in each cell, or presence (like NVivo's matrix coding
    query and MAXQDA's code matrix browser)."""
    from ..analysis import matrix as report_matrix

    with open_project(project) as opened:
        table = report_matrix(
            opened,
            presence=presence,
            coders=list(coders) or None,
            status=status,
            speaker_roles=speaker_roles,
            rollup=not direct,
        )
        depth = _depths(opened)
        chart = Chart("matrix", _chart_codes(opened))
        warn_roles(opened, speaker_roles)
    show_tables(
        [("matrix", table)],
        output,
        fmt,
        "Codes × transcripts"
        + (" (presence)" if presence else " (segments)")
        + _roles_note(speaker_roles),
        depth,
        lang=lang,
        note=(
            "matrix.presence" if presence else "matrix.segments",
            {"speaker_roles": speaker_roles, "rollup": not direct},
        ),
        chart=chart,
    )


@report.command()
@project_argument
@click.option(
    "--unit",
    type=click.Choice(["overlap", "sentence", "turn"]),
    default="overlap",
    show_default=True,
    help="overlap: pairs of segments that overlap; sentence, turn: units holding both codes.",
)
@click.option("--jaccard", is_flag=True, help="n_ab / (n_a + n_b - n_ab) instead of counts.")
@coder_option
@status_option
@speaker_role_option
@direct_option
@output_option
def cooccurrence(
    project: Path,
    direct: bool,
    unit: str,
    jaccard: bool,
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Code × code: how often codes occur together (the codes in use; the diagonal is each
    code's own count)."""
    from ..analysis import cooccurrence as report_cooccurrence

    with open_project(project) as opened:
        table = report_cooccurrence(
            opened,
            unit=unit,
            jaccard=jaccard,
            coders=list(coders) or None,
            status=status,
            speaker_roles=speaker_roles,
            rollup=not direct,
        )
        depth = _depths(opened)
        chart = Chart("cooccurrence", _chart_codes(opened))
        warn_roles(opened, speaker_roles)
    show_tables(
        [("co-occurrence", table)],
        output,
        fmt,
        f"Code co-occurrence by {unit}"
        + (" (Jaccard)" if jaccard else "")
        + _roles_note(speaker_roles),
        depth,
        lang=lang,
        note=(f"cooccurrence.{unit}", {"speaker_roles": speaker_roles, "rollup": not direct}),
        chart=chart,
    )


@report.command()
@project_argument
@click.option(
    "--code",
    "code_ids",
    multiple=True,
    metavar="ID",
    help="List the words most distinctive of this code's segments (repeatable).",
)
@click.option("--per-code", is_flag=True, help="Distinctive words for every code in use.")
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows to list (per code for distinctive words).",
)
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Distinctive words: at least this often in the code's segments.",
)
@click.option(
    "--transcript",
    "transcripts",
    multiple=True,
    metavar="NAME",
    help="Word frequencies of these transcripts only (repeatable).",
)
@coder_option
@status_option
@speaker_role_option
@where_option
@direct_option
@output_option
def words(
    project: Path,
    direct: bool,
    code_ids: tuple[str, ...],
    per_code: bool,
    top: int,
    min_count: int,
    transcripts: tuple[str, ...],
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    where: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Word frequencies (jieba words as the project segmented them, stop words left out: spaCy's
    Chinese list, spoken fillers, and PROJECT/stopwords.txt, one word a line). With --code or
    --per-code: the words most distinctive of a code's segments against the rest of the
    corpus, by log-likelihood keyness (G2)."""
    from .. import analysis

    with open_project(project) as opened:
        if code_ids or per_code:
            table = analysis.distinctive_words(
                opened,
                list(code_ids) if code_ids else None,
                top=top,
                min_count=min_count,
                coders=list(coders) or None,
                status=status,
                speaker_roles=speaker_roles,
                where=where,
                rollup=not direct,
            )
            title = (
                "Words most distinctive of each code (keyness: log-likelihood G2, "
                "Rayson and Garside's two-cell form; q: Benjamini-Hochberg)"
            )
            name = "distinctive words"
        else:
            table = analysis.word_frequencies(
                opened,
                top=top,
                transcripts=list(transcripts) or None,
                speaker_roles=speaker_roles,
                where=where,
            )
            title, name = "Word frequencies", "words"
        warn_roles(opened, speaker_roles)
    show_tables(
        [(name, table)],
        output,
        fmt,
        title + _roles_note(speaker_roles),
        lang=lang,
        note=(name, {"where": where, "speaker_roles": speaker_roles, "rollup": not direct}),
        chart=Chart("words") if name == "words" else None,
    )


@report.command()
@project_argument
@click.argument("word")
@click.option(
    "--width",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Characters of context on each side.",
)
@click.option(
    "--transcript",
    "transcripts",
    multiple=True,
    metavar="NAME",
    help="Only these transcripts (repeatable).",
)
@click.option("--inside", is_flag=True, help="Also list where WORD is only part of a longer word.")
@coder_option
@status_option
@speaker_role_option
@where_option
@output_option
def kwic(
    project: Path,
    word: str,
    width: int,
    transcripts: tuple[str, ...],
    inside: bool,
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    where: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Keyword in context: every occurrence of WORD as whole words, with the sentence it is in
    and the codes on it. -o FILE also writes the occurrences inside longer words (a second
    sheet, or FILE.inside_other_words.csv beside a CSV)."""
    from ..analysis import kwic as report_kwic

    with open_project(project) as opened:
        result = report_kwic(
            opened,
            word,
            width=width,
            transcripts=list(transcripts) or None,
            coders=list(coders) or None,
            status=status,
            speaker_roles=speaker_roles,
            where=where,
        )
        warn_roles(opened, speaker_roles)
    tables = result.tables() if inside or output is not None else result.tables()[:1]
    show_tables(
        tables,
        output,
        fmt,
        f"{word}: {len(result.hits)} hits" + _roles_note(speaker_roles),
        lang=lang,
        note=("kwic", {"where": where, "speaker_roles": speaker_roles}),
    )
    if output is None and not inside and len(result.inside_words):
        click.echo(
            f"{len(result.inside_words)} more occurrences are part of longer words; "
            "list them with --inside",
            err=True,
        )


@report.command()
@project_argument
@click.option(
    "--code",
    "code_ids",
    multiple=True,
    metavar="ID",
    help="Only this theme and the codes below it (repeatable; default: every code).",
)
@click.option(
    "--max-per-code",
    type=click.IntRange(min=1),
    metavar="N",
    help="At most N quotes per code, taken from the respondents in turn (those who "
    "said most on the theme first), so that as many respondents as possible are "
    "heard; the report states the rule.",
)
@click.option(
    "--attributes",
    "attribute_names",
    metavar="A,B,…",
    help="The respondent attributes shown after each respondent's id, in this order "
    "(comma-separated or repeated; default: all).",
    multiple=True,
)
@coder_option
@status_option
@speaker_role_option
@where_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The report file: .docx (Word, with Word's own styles), .md or .html.",
)
@click.option("--lang", type=click.Choice(LANGUAGES), help=LANG_HELP)
@redact_option
def quotes(
    project: Path,
    code_ids: tuple[str, ...],
    max_per_code: int | None,
    attribute_names: tuple[str, ...],
    coders: tuple[str, ...],
    status: str,
    speaker_roles: tuple[str, ...],
    where: tuple[str, ...],
    output: Path,
    lang: str | None,
) -> None:
    """Quotes by theme for a thesis chapter: codes in codebook order (parents as headings,
    children as subheadings), each with its definition and counts (segments, respondents;
    children included), then what respondents said: each quote with the respondent's id and
    attributes, e.g. A01（女，60岁及以上，本科）, the speaker, the transcript and sentence,
    and memos on the coding."""
    from ..exchange.tables import table_language
    from ..quotes import quotes_format, quotes_report, write_quotes

    quotes_format(output)  # a wrong ending fails before any work
    chosen = [
        name.strip() for group in attribute_names for name in group.split(",") if name.strip()
    ] or None
    with open_project(project) as opened:
        found = quotes_report(
            opened,
            code_ids=list(code_ids) or None,
            where=where,
            coders=list(coders) or None,
            status=status,
            speaker_roles=speaker_roles,
            max_per_code=max_per_code,
            attributes=chosen,
        )
        warn_roles(opened, speaker_roles)
    write_quotes(found, output, table_language(lang))
    shown = sum(len(theme.quotes) for theme in found.themes)
    click.echo(f"wrote {shown} quotes under {len(found.themes)} themes to {output}", err=True)


# --- agreement ----------------------------------------------------------------------------


class CodersCommand(click.Command):
    """Lets ``--coders A B C`` take several names, as ``--coders A --coders B`` or
    ``--coders A,B`` also do."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rewritten: list[str] = []
        rest = list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--":
                rewritten += [arg, *rest]
                break
            if arg != "--coders":
                rewritten.append(arg)
                continue
            names = []
            while rest and not rest[0].startswith("-"):
                names.append(rest.pop(0))
            # `--coders A B PROJECT`: the project folder typed last is not a coder.
            if len(names) > 1 and (Path(names[-1]) / DB_NAME).exists():
                rest.insert(0, names.pop())
            rewritten.append(arg)
            if names:
                rewritten.append(",".join(names))
        return super().parse_args(ctx, rewritten)


@main.command(cls=CodersCommand)
@project_argument
@click.option(
    "--coders",
    "coder_groups",
    multiple=True,
    required=True,
    metavar="A B [C...]",
    help="The coders to compare: two or more names.",
)
@click.option(
    "--unit",
    type=click.Choice(["sentence", "turn"]),
    default="sentence",
    show_default=True,
    help="What is compared: sentences or speaker turns.",
)
@click.option(
    "--transcript",
    "transcripts",
    multiple=True,
    metavar="NAME",
    help="Compare on these transcripts, for every coder (repeatable); default: "
    "those each coder marked reviewed (qualcode review) or holds codings in.",
)
@click.option(
    "--rollup",
    is_flag=True,
    help="Compare each parent code together with all its descendants (default: "
    "each code as coded).",
)
@click.option(
    "--disagreements",
    "list_disagreements",
    is_flag=True,
    help="Also print the units where the coders disagree, with their text.",
)
@status_option
@output_option
def agreement(
    project: Path,
    coder_groups: tuple[str, ...],
    unit: str,
    transcripts: tuple[str, ...],
    rollup: bool,
    list_disagreements: bool,
    status: str,
    output: Path | None,
    fmt: str | None,
    lang: str | None,
) -> None:
    """Inter-coder agreement per code and overall, for any number of coders: percent
    agreement (0–1), Cohen's kappa (two coders), Fleiss' kappa (three or more, on the units
    all of them have), Krippendorff's alpha (nominal, missing data allowed), units and
    coders compared; and the units where the coders disagree. A unit counts as coded with a
    code when a coding of it overlaps the unit. In a transcript a coder marked reviewed (or
    holds a coding in), no coding of a code is an absence; elsewhere that coder's values are
    missing. Codes are compared as coded unless --rollup; the overall row pools every
    decision once and its note says how.

    -o FILE.csv writes the agreement table (code_id, code, percent_agreement, cohen_kappa,
    fleiss_kappa, krippendorff_alpha, n_units, n_coders, note; last row: overall) at full
    precision, and beside it FILE.disagreements.csv, FILE.coded_units.csv and
    FILE.coverage.csv (each coder's standing in each transcript); an .xlsx gets them as
    sheets; FILE.png (.svg, .pdf) draws the coefficients per code as bars."""
    from ..agreement import agreement as measure

    coders = [name.strip() for group in coder_groups for name in group.split(",") if name.strip()]
    with open_project(project) as opened:
        result = measure(
            opened,
            coders,
            unit=unit,
            transcripts=list(transcripts) or None,
            status=status,
            rollup=rollup,
        )
        depth = _depths(opened)
        chart = Chart("agreement", _chart_codes(opened))
    note = ("agreement", {"unit": unit, "rollup": rollup})
    if output is not None or list_disagreements:
        show_tables(
            result.tables() if output is not None else result.tables()[:2],
            output,
            fmt,
            f"Agreement of {', '.join(coders)} by {unit}",
            depth,
            lang=lang,
            note=note,
            chart=chart,
        )
        return
    show_tables(
        result.tables()[:1],
        None,
        None,
        f"Agreement of {', '.join(coders)} by {unit} ({len(result.transcripts)} transcripts)",
        depth,
        lang=lang,
        note=note,
    )
    click.echo(
        f"{len(result.disagreements)} disagreements (unit × code); list them with --disagreements",
        err=True,
    )


@main.command()
@project_argument
@click.argument("transcripts", nargs=-1, metavar="[TRANSCRIPT]...")
@click.option("--coder", required=True, metavar="NAME", help="The coder who read them through.")
@click.option("--undo", "unmark", is_flag=True, help="Take the mark off again.")
def review(project: Path, transcripts: tuple[str, ...], coder: str, unmark: bool) -> None:
    """Mark transcripts as reviewed by a coder: read through, so where the coder applied no
    code, none applies. Agreement then counts those units as absent for the coder instead of
    missing. Without TRANSCRIPT: list the transcripts the coder has reviewed."""
    with open_project(project) as opened:
        if not transcripts:
            done = sorted(name for _, name in opened.reviewed(coder))
            click.echo(
                f"{coder} has reviewed {len(done)} of {len(opened.transcript_names())} "
                "transcripts" + (": " + ", ".join(done) if done else "")
            )
            return
        for name in transcripts:
            resolved = opened.resolve(name)
            changed = opened.set_reviewed(resolved, coder, not unmark)
            state = "not reviewed" if unmark else "reviewed"
            click.echo(f"{resolved}: {state} by {coder}" + ("" if changed else " (already)"))


@main.command("import-codings")
@project_argument
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--coder", required=True, help="The coder the codings come in as.")
@click.option(
    "--unplaced",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the codings that could not be placed, with the reason, to this file.",
)
def import_codings(project: Path, file: Path, coder: str, unplaced: Path | None) -> None:
    """Bring in codings exported from another copy of the project with qualcode codings
    --coder NAME -o FILE (.csv, .xlsx or .jsonl). Each is matched to its transcript by the hash
    of the transcript's text; those whose transcript differs are reported, not dropped (and
    the command exits with status 1 after importing the others)."""
    from ..errors import QualcodeError
    from ..exchange.codings import read_codings

    records, named = read_codings(file)
    if len(named) > 1:
        raise QualcodeError(
            f"the file holds codings of several coders ({', '.join(named)}); "
            "export one coder's with: qualcode codings PROJECT --coder NAME -o "
            "FILE",
            path=file,
        )
    from .progress import progress_bar

    with open_project(project) as opened, progress_bar() as progress:
        result = opened.import_codings(records, coder, progress=progress)
    click.echo(
        f"imported {result.added} codings as {coder} from {file}"
        + (f"; {result.unchanged} were already here" if result.unchanged else "")
    )
    if not result.unplaced:
        return
    click.echo(f"{len(result.unplaced)} codings could not be placed:", err=True)
    rows = [
        [r.line, r.transcript, r.start, r.end, r.code_id, r.text, reason]
        for r, reason in result.unplaced
    ]
    columns = ["line", "transcript", "start", "end", "code_id", "text", "reason"]
    if unplaced is not None:
        emit(columns, rows, unplaced)
    else:
        for row in rows:
            click.echo(f"  line {row[0]}: {row[1]} {row[2]}:{row[3]} {row[4]}: {row[6]}", err=True)
    # What could be placed is imported; the exit status tells a script that some was not.
    click.get_current_context().exit(1)
