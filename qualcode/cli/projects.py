"""Commands that create a project, import transcripts and show what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from . import emit, main, open_project, output_option, project_argument


@main.command()
@project_argument
@click.option("--codebook", "codebook_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Start from this codebook YAML file.")
@click.option("--name", help="The study's name (default: the folder's name).")
def init(project: Path, codebook_path: Path | None, name: str | None) -> None:
    """Create a new project folder PROJECT."""
    from ..study import init_project

    with init_project(project, codebook_path, name) as created:
        n = len(created.codebook().by_id())
    click.echo(f"created {project / 'qualcode.db'} with {n} codes")


@main.command("import")
@project_argument
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with one row per respondent: a column 'transcript' (or the first "
              "column) names the transcript, the other columns are its attributes.")
def import_(project: Path, files: tuple[Path, ...], attributes: Path | None) -> None:
    """Import transcript FILES (.txt, .md, .docx; UTF-8, GB18030/GBK, Big5) into PROJECT.

    A file whose transcript is already in PROJECT with other text replaces it, and its codings
    are carried onto the new text; those whose text was deleted are kept as 'unplaced'. A
    replacement cannot be undone."""
    from ..study import import_files

    if not files and attributes is None:
        raise click.UsageError("give transcript files to import, or --attributes")
    with open_project(project) as opened:
        results = import_files(opened, files, attributes)
        for result in results:
            moved = result.reanchored
            if moved is not None and moved.total:
                see = (f" (see: qualcode codings {project} --status unplaced)"
                       if moved.unplaced else "")
                click.echo(f"{result.status} {result.name}: {moved}{see}")
            else:
                detail = (f"{result.turns} turns, {result.sentences} sentences"
                          if result.turns else "")
                click.echo(f"{result.status:9} {result.name}  {detail}")
            for warning in result.warnings:
                click.echo(f"  warning: {result.name}: {warning}", err=True)
        if any(result.status == "replaced" for result in results):
            click.echo("note: replacing a transcript cannot be undone; the undo history of its "
                       "codings was cleared", err=True)
        if attributes is not None:
            click.echo(f"attributes for {len(opened.attributes())} respondents from {attributes}")


@main.command("list")
@project_argument
@output_option
def list_(project: Path, output: Path | None, fmt: str | None) -> None:
    """List the transcripts: turns, sentences, characters, % of sentences coded."""
    with open_project(project) as opened:
        attributes = opened.attributes()
        names = opened.attribute_names()
        case_of = opened.transcript_cases()
        rows = [
            [s.name, s.format, s.turns, s.sentences, s.characters, s.codings,
             f"{s.percent_coded:.0f}",
             *(attributes.get(case_of.get(s.name, s.name), {}).get(a, "") for a in names)]
            for s in opened.summaries()
        ]
    emit(["transcript", "format", "turns", "sentences", "characters", "codings", "% coded",
          *names], rows, output, fmt)


@main.command()
@project_argument
@click.argument("transcript")
@click.option("--sentences", "unit", flag_value="sentences", default=True,
              help="One row per sentence (the default).")
@click.option("--turns", "unit", flag_value="turns", help="One row per speaker turn.")
@click.option("--text", "unit", flag_value="text", help="The stored text verbatim.")
@output_option
def show(project: Path, transcript: str, unit: str, output: Path | None, fmt: str | None) -> None:
    """Show a transcript's numbered sentences (or turns) with speaker and offsets."""
    with open_project(project) as opened:
        stored = opened.transcript(transcript)
    if unit == "text":
        click.echo(stored.text)
        return
    if unit == "turns":
        rows = [[i + 1, t.start, t.end, t.speaker, stored.text[t.body_start:t.end]]
                for i, t in enumerate(stored.turns)]
    else:
        rows = [[s.index, s.start, s.end, s.speaker, s.text] for s in stored.sentences]
    emit(["index", "start", "end", "speaker", "text"], rows, output, fmt, title=stored.name)
