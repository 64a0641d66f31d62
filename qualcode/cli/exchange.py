"""Moving codebooks and projects between qualcode and other programs (REFI-QDA) or people
(YAML): ``codebook export/import/merge``, ``export`` and ``import-qdpx``."""

from __future__ import annotations

from pathlib import Path

import click

from . import main, open_project, project_argument
from .codebooks import _load_codebook, codebook
from .privacy import REDACT_HELP

PREFER_HELP = (
    "When both sides filled a field differently (or placed a code under different "
    "parents), take ours or theirs. Without it, a conflict stops the merge and "
    "nothing is written."
)


def _show_conflicts(error) -> None:
    for conflict in error.merge.conflicts:
        click.echo(f"conflict: {conflict}", err=True)


@codebook.command("export")
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="A .docx's headings and note in Chinese or English (default: the UI language).",
)
def codebook_export(project: Path, file: Path, lang: str | None) -> None:
    """Write PROJECT's working codebook to FILE: .qdc (REFI-QDA, for NVivo, ATLAS.ti, MAXQDA,
    QualCoder), .yaml (qualcode), .csv (Taguette's codebook table: tag, parent, description,
    number of highlights; Taguette imports codebooks only so), or .docx: a Word table for a
    thesis appendix (code, label, definition, include, exclude, example, segments and
    respondents coded). Ids, English labels, include/exclude, examples and keywords travel in
    each code's description in a .qdc. Warns when codes share a label, which QualCoder,
    Taguette and ATLAS.ti cannot hold."""
    from ..exchange.refi import export_codebook

    with open_project(project) as opened:
        if file.suffix.lower() == ".docx":
            from ..exchange.tables import table_language
            from ..exchange.word import write_codebook_docx

            n = write_codebook_docx(opened, file, table_language(lang))
        else:
            n = export_codebook(opened, file)
            if file.suffix.lower() in (".qdc", ".csv"):
                from ..codebook import duplicate_label_warnings

                for warning in duplicate_label_warnings(opened.codebook()):
                    click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {n} codes to {file}")


@codebook.command("import")
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--merge",
    is_flag=True,
    help="Merge FILE into the working codebook by code id instead of replacing it.",
)
@click.option("--prefer", type=click.Choice(["ours", "theirs"]), help=PREFER_HELP)
def codebook_import(project: Path, file: Path, merge: bool, prefer: str | None) -> None:
    """Replace PROJECT's working codebook with FILE (.qdc or .yaml), or --merge it in.

    Codes from other programs are matched to ours by the id qualcode wrote into their
    description, else by GUID, else by label; the rest get new ids from their labels.
    Replacing refuses to drop a code that codings use.
    """
    from ..codebook import MergeConflictError
    from ..exchange.refi import import_codebook

    with open_project(project) as opened:
        try:
            result = import_codebook(opened, file, merge=merge, prefer=prefer)
        except MergeConflictError as error:
            _show_conflicts(error)
            raise
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.merge is not None:
        click.echo(result.merge.render())
    click.echo(f"the working codebook has {result.codes} codes")


@codebook.command("merge")
@click.argument("ours", type=click.Path(exists=True, path_type=Path))
@click.argument("theirs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the merged codebook here (.yaml, or .qdc).",
)
@click.option("--prefer", type=click.Choice(["ours", "theirs"]), help=PREFER_HELP)
def codebook_merge(ours: Path, theirs: Path, output: Path, prefer: str | None) -> None:
    """Merge codebook THEIRS into OURS by code id and write the result to OUTPUT.

    Codes only one side has are kept; a field blank on one side is filled from the other;
    fields both sides filled differently are conflicts, listed and never guessed.
    """
    from ..codebook import MergeConflictError, merge_codebooks, save_codebook
    from ..exchange.refi import read_codebook_file, write_qdc

    mine = _load_codebook(ours) if ours.is_dir() else read_codebook_file(ours).codebook
    other = read_codebook_file(theirs, existing=mine).codebook
    merged = merge_codebooks(mine, other, prefer)
    if merged.unresolved:
        error = MergeConflictError(merged, f"{ours.name} and {theirs.name}")
        _show_conflicts(error)
        raise error
    if output.suffix.lower() == ".qdc":
        write_qdc(merged.codebook, output)
    else:
        save_codebook(merged.codebook, output)
    click.echo(merged.render())
    click.echo(f"wrote {len(merged.codebook.by_id())} codes to {output}")


@main.command("export")
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--redact", is_flag=True, help=REDACT_HELP)
def export(project: Path, file: Path, redact: bool) -> None:
    """Write PROJECT as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder:
    transcripts, codes, codings, coders, cases and attributes, memos."""
    from ..exchange.refi import export_qdpx
    from .progress import progress_bar

    with open_project(project) as opened, progress_bar() as progress:
        report = export_qdpx(opened, file, redact=redact, progress=progress)
    click.echo(
        f"wrote {file}: {report.codes} codes, {report.transcripts} transcripts, "
        f"{report.codings} codings, {report.coders} coders, {report.cases} cases, "
        f"{report.memos} memos"
    )
    for line in report.skipped:
        click.echo(f"not exported: {line}", err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)


@main.command("import-qdpx")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_argument
@click.option(
    "--positions",
    type=click.Choice(["auto", "codepoints", "utf16"]),
    default="auto",
    show_default=True,
    help="How the other program counted selection positions: "
    "Unicode code points (the standard) or UTF-16 code units (an emoji counts two). "
    "auto tries both on texts where they differ and keeps the one the selections fit.",
)
@click.option(
    "--line-ends",
    type=click.Choice(["auto", "as-written", "lf"]),
    default="auto",
    show_default=True,
    help="Whether positions count a CRLF line end as two "
    "characters (as-written, the standard) or one (lf).",
)
def import_qdpx(file: Path, project: Path, positions: str, line_ends: str) -> None:
    """Build the NEW project folder PROJECT from FILE, a REFI-QDA project (.qdpx) written by
    NVivo, ATLAS.ti, MAXQDA, QualCoder or qualcode. Lists what the archive lacks (sources not
    included) and what qualcode cannot hold (pictures, audio, video, sets)."""
    from ..exchange.refi import import_qdpx as run_import
    from .progress import progress_bar

    with progress_bar() as progress:
        report = run_import(file, project, units=positions, line_ends=line_ends, progress=progress)
    lines = report.lines()
    click.echo(lines[0])
    for line in lines[1:]:
        click.echo(line, err=line.startswith(("warning", "skipped")))
