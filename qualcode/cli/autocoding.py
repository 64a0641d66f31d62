"""Auto-coding commands: ``autocode`` (rules, or ``--learned`` classifiers) stores suggestions,
``suggestions`` lists them, ``accept`` and ``reject`` decide, ``batch`` codes a large table of
documents without a project. Each parses, calls :mod:`qualcode.autocode`,
:mod:`qualcode.learn` or :mod:`qualcode.batch`, and prints."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import QualcodeError
from . import emit, main, open_project, output_option, project_argument
from .reports import speaker_role_option, warn_roles


def _code_ids(values: tuple[str, ...]) -> list[str] | None:
    """``--codes a,b --codes c`` -> ["a", "b", "c"]; None when not given (every code)."""
    ids = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return ids or None


@main.command()
@project_argument
@click.option(
    "--codes",
    "codes",
    multiple=True,
    metavar="ID[,ID...]",
    help="Only these codes (ids, comma-separated or repeated). Default: every code "
    "with keywords, patterns or token patterns (with --learned: every code).",
)
@click.option(
    "--unit",
    type=click.Choice(["sentence", "turn"]),
    default="sentence",
    show_default=True,
    help="What one suggestion covers.",
)
@click.option("--dry-run", is_flag=True, help="Count what would be suggested; store nothing.")
@click.option(
    "--learned",
    is_flag=True,
    help="Suggest with classifiers trained on the "
    "confirmed codings instead of the codebook's rules.",
)
@click.option(
    "--evaluate",
    is_flag=True,
    help="With --learned: report cross-validated precision, recall and F1 per code; store nothing.",
)
@click.option(
    "--min-examples",
    type=click.IntRange(2),
    default=10,
    show_default=True,
    help="With --learned: coded units a code needs to get a classifier.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0, 1),
    default=0.5,
    show_default=True,
    help="With --learned: the lowest score stored as a suggestion.",
)
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=50,
    show_default=True,
    help="With --learned: at most this many suggestions per code (the best).",
)
@click.option(
    "--coder", default="auto", show_default=True, help="The coder suggestions are stored under."
)
@speaker_role_option
@output_option
def autocode(
    project: Path,
    codes: tuple[str, ...],
    unit: str,
    dry_run: bool,
    learned: bool,
    evaluate: bool,
    min_examples: int,
    min_score: float,
    limit: int,
    coder: str,
    speaker_roles: tuple[str, ...],
    output: Path | None,
    fmt: str | None,
) -> None:
    """Suggest codings from the codebook's keywords, patterns and token patterns (or, with
    --learned, from the confirmed codings) and store them for review. Prints the units
    matched and the new suggestions per code. Running it again adds no duplicates and never
    brings back a rejected suggestion; review with: qualcode suggestions PROJECT."""
    chosen = _code_ids(codes)
    if evaluate and not learned:
        raise click.UsageError("--evaluate measures the learned suggestions: add --learned")
    with open_project(project) as opened:
        labels = {c.id: c.label for c, _, _ in opened.codebook().walk()}
        if evaluate:
            from ..exchange.tables import frame_cells
            from ..learn import evaluate as evaluate_codes

            table = evaluate_codes(opened, chosen, unit=unit, min_examples=min_examples)
            # Full precision in files; rounded, and said so, on the screen.
            columns, rows = frame_cells(table, rounded=output is None)
            emit(
                columns,
                rows,
                output,
                fmt,
                title="learned suggestions: cross-validation "
                "(folds grouped by transcript; each code as coded)",
            )
            from ..exchange.tables import rounding_note, table_language, table_note

            lang = table_language()
            click.echo(table_note("learned", lang), err=True)
            if output is None:
                click.echo(rounding_note(lang), err=True)
            return
        if learned:
            from ..learn import suggest

            result = suggest(
                opened,
                chosen,
                unit=unit,
                min_examples=min_examples,
                min_score=min_score,
                limit=limit,
                dry_run=dry_run,
                coder=coder,
                speaker_roles=speaker_roles,
            )
        else:
            from ..autocode import autocode as run_rules
            from .progress import progress_bar

            with progress_bar() as progress:
                result = run_rules(
                    opened,
                    chosen,
                    unit=unit,
                    dry_run=dry_run,
                    coder=coder,
                    speaker_roles=speaker_roles,
                    progress=progress,
                )
        warn_roles(opened, speaker_roles)
    new = "would add" if dry_run else "new"
    emit(
        ["code_id", "code", f"{unit}s matched", new],
        result.rows(labels),
        output,
        fmt,
        title="learned suggestions" if learned else "auto-coding",
    )
    verb = "would store" if dry_run else "stored"
    click.echo(
        f"{verb} {result.total_added} suggestions ({result.total_matched} matched; "
        f"{result.total_matched - result.total_added} already there or rejected)",
        err=True,
    )


@main.command()
@project_argument
@click.option("--transcript", help="Only this transcript (name or unique prefix).")
@click.option("--code", "code_id", help="Only suggestions of this code id.")
@click.option("--min-score", type=float, help="Only scored suggestions with at least this score.")
@click.option("--max-score", type=float, help="Only scored suggestions below this score.")
@output_option
def suggestions(
    project: Path,
    transcript: str | None,
    code_id: str | None,
    min_score: float | None,
    max_score: float | None,
    output: Path | None,
    fmt: str | None,
) -> None:
    """List the suggestions waiting for review: id, where, code, the rule that fired, the
    score (learned ones) and the text. Decide with: qualcode accept / reject PROJECT IDS."""
    from ..autocode import suggestions as pending

    with open_project(project) as opened:
        labels = {c.id: c.label for c, _, _ in opened.codebook().walk()}
        found = pending(
            opened, transcript=transcript, code_id=code_id, min_score=min_score, max_score=max_score
        )
    rows = [
        [
            c.id,
            c.transcript,
            c.start,
            c.end,
            c.code_id,
            labels.get(c.code_id, ""),
            c.rule,
            "" if c.score is None else c.score,
            c.text,
        ]
        for c in found
    ]
    emit(
        ["id", "transcript", "start", "end", "code_id", "code", "rule", "score", "text"],
        rows,
        output,
        fmt,
        title=f"{len(rows)} suggestions",
    )


def _review_options(function):
    function = click.option(
        "--all",
        "everything",
        is_flag=True,
        help="Every suggestion (that the other options select).",
    )(function)
    function = click.option("--max-score", type=float, help="Scored suggestions below this score.")(
        function
    )
    function = click.option(
        "--min-score", type=float, help="Scored suggestions with at least this score."
    )(function)
    function = click.option("--transcript", help="Suggestions in this transcript.")(function)
    function = click.option("--code", "code_id", help="Suggestions of this code id.")(function)
    return click.argument("ids", nargs=-1, type=int)(function)


def _review(project: Path, action: str, ids: tuple[int, ...], **options: object) -> None:
    from .. import autocode

    with open_project(project) as opened:
        decide = autocode.accept if action == "accept" else autocode.reject
        chosen = decide(opened, ids, **options)
    done = "accepted" if action == "accept" else "rejected"
    click.echo(
        f"{done} {len(chosen)} suggestion{'s' if len(chosen) != 1 else ''}"
        + (" (undo with: qualcode undo PROJECT)" if chosen else "")
    )


@main.command()
@project_argument
@_review_options
@click.option(
    "--coder",
    help="Record the accepted codings as this coder's (the person "
    "deciding); by default they stay the auto coder's.",
)
def accept(
    project: Path,
    ids: tuple[int, ...],
    code_id: str | None,
    transcript: str | None,
    min_score: float | None,
    max_score: float | None,
    everything: bool,
    coder: str | None,
) -> None:
    """Accept suggestions: by IDS, or every one of a --code, a --transcript or above a
    --min-score. They become confirmed codings. One undoable action."""
    _review(
        project,
        "accept",
        ids,
        code_id=code_id,
        transcript=transcript,
        min_score=min_score,
        max_score=max_score,
        everything=everything,
        coder=coder,
    )


@main.command()
@project_argument
@_review_options
def reject(
    project: Path,
    ids: tuple[int, ...],
    code_id: str | None,
    transcript: str | None,
    min_score: float | None,
    max_score: float | None,
    everything: bool,
) -> None:
    """Reject suggestions: by IDS, or every one of a --code, a --transcript or below a
    --max-score. Rejected suggestions are kept so they are never suggested again."""
    _review(
        project,
        "reject",
        ids,
        code_id=code_id,
        transcript=transcript,
        min_score=min_score,
        max_score=max_score,
        everything=everything,
    )


@main.command()
@click.argument("corpus", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--codebook",
    "codebook_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The codebook YAML whose rules code the documents.",
)
@click.option(
    "--text-column",
    default="text",
    show_default=True,
    help="The column holding each document's text.",
)
@click.option(
    "--id-column", help="The column identifying each document (default: the record's number)."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The coded table to write (.csv, UTF-8 with BOM; or .tsv): one row per "
    "document, a 0/1 column per code.",
)
@click.option(
    "--frequencies",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the theme frequency table (.csv, .xlsx, .md, .tex); "
    "default: OUTPUT's name with .frequencies.csv.",
)
@click.option(
    "--codes",
    "codes",
    multiple=True,
    metavar="ID[,ID...]",
    help="Only these codes (ids, comma-separated or repeated).",
)
@click.option("--workers", type=click.IntRange(1), help="Processes to use (default: every core).")
@click.option(
    "--chunk-size",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Documents per task.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Run on the Dask cluster whose "
    "scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786) instead of local processes; "
    "needs the 'dask' extra and qualcode on the workers.",
)
@click.option(
    "--encoding",
    default="utf-8-sig",
    show_default=True,
    help="The input's encoding (e.g. gb18030).",
)
def batch(
    corpus: Path,
    codebook_path: Path,
    text_column: str,
    id_column: str | None,
    output: Path,
    frequencies: Path | None,
    codes: tuple[str, ...],
    workers: int | None,
    chunk_size: int,
    scheduler: str | None,
    encoding: str,
) -> None:
    """Code a table of short documents (CORPUS: .csv or .tsv, e.g. citizen messages) with a
    codebook's rules, on every core, streaming: one row per document with a column per
    code, plus a theme frequency table. No project is needed."""
    from ..batch import code_table
    from ..codebook import load_codebook
    from ..exchange.tables import frame_cells, write_table
    from .progress import progress_bar

    book = load_codebook(codebook_path)
    with progress_bar() as progress:
        result = code_table(
            corpus,
            book,
            output,
            text_column=text_column,
            id_column=id_column,
            codes=_code_ids(codes),
            workers=workers,
            chunk_size=chunk_size,
            scheduler=scheduler,
            encoding=encoding,
            progress=progress,
        )
    frequencies = frequencies or output.with_name(output.stem + ".frequencies.csv")
    columns, rows = frame_cells(result.frequencies())
    if frequencies.resolve() == output.resolve():
        raise QualcodeError("--frequencies must be another file than --output")
    write_table(frequencies, columns, rows)
    emit(columns, rows, None, title=f"{result.documents:,} documents")
    speed = result.characters / max(result.seconds, 1e-9)
    where = f"Dask at {scheduler}" if scheduler else f"{result.workers} process(es)"
    click.echo(
        f"wrote {result.documents:,} rows to {output} and the frequencies to "
        f"{frequencies} ({result.seconds:.1f} s, {speed:,.0f} characters/s, {where})",
        err=True,
    )
