"""The survey import: a 问卷星 / 腾讯问卷 export's respondents, closed columns and open answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from . import emit, main, open_project, project_argument


@main.command("import-survey")
@project_argument
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--id",
    "id_column",
    metavar="COLUMN",
    help="The column naming respondents (default: 编号/序号 if present, else row number).",
)
@click.option(
    "--open",
    "open_columns",
    metavar="COLUMN...",
    help="The open questions, e.g. --open Q12 Q13 Q14 (default: guessed and listed).",
)
@click.option("--sheet", help="The sheet of an .xlsx file (default: the first).")
@click.argument("more_open", nargs=-1, metavar="")
def import_survey(
    project: Path,
    file: Path,
    id_column: str | None,
    open_columns: str | None,
    sheet: str | None,
    more_open: tuple[str, ...],
) -> None:
    """Import survey FILE (.xlsx or .csv, one row per respondent) into PROJECT.

    Each respondent becomes a case with the closed columns as attributes; each non-empty open
    answer becomes a codable text named QUESTION_RESPONDENT (Q12_R0001), listed by question.
    Without --open the open questions are guessed (long, varied text), the guess is listed,
    and the import uses it. Re-importing an updated export adds new respondents; answers
    already imported unchanged keep their codings."""
    from ..surveys import import_survey as store_survey
    from ..surveys import read_survey

    if more_open and open_columns is None:
        raise click.UsageError(f"unexpected arguments: {' '.join(more_open)}")
    chosen = (
        [
            name.strip()
            for item in (open_columns, *more_open)
            for name in item.split(",")
            if name.strip()
        ]
        if open_columns is not None
        else None
    )
    survey = read_survey(file, id_column=id_column, open_columns=chosen, sheet=sheet)
    if chosen is None:
        emit(
            ["column", "question", "kind"],
            [[c.key, c.question_text[:40], c.kind] for c in survey.columns],
            None,
            title="Guessed column kinds (open = coded text; pass --open to choose)",
        )
        click.echo("importing with this guess; re-run with --open COLUMN... to change it", err=True)
    from .progress import progress_bar

    with open_project(project) as opened, progress_bar() as progress:
        results = store_survey(opened, survey, file, progress=progress)
    counts = Counter(r.status for r in results)
    n_open = sum(c.kind == "open" for c in survey.columns)
    click.echo(
        f"{len(survey.rows)} respondents, {len(survey.columns) - n_open} closed columns, "
        f"{len(results)} answers to {n_open} open questions: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    )
