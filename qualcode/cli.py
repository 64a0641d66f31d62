"""The ``qualcode`` command: each subcommand parses its arguments, calls the core, prints.

Heavy libraries (spaCy, pandas, jieba's dictionary, Textual) are imported inside the
commands that use them, so ``qualcode --help`` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from .errors import QualcodeError
from .store import Project

OUTPUT_HELP = "Write the table to FILE (.csv UTF-8 with BOM, .xlsx, .md or .tex) instead of printing it."


class QualcodeGroup(click.Group):
    """Turns qualcode errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QualcodeError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)


def _output_option(function):
    function = click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "markdown", "latex"]),
                            help="Table format when it should not follow FILE's extension.")(function)
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help=OUTPUT_HELP)(function)


def emit(columns: Sequence[str], rows: Sequence[Sequence[object]], output: Path | None,
         fmt: str | None = None, title: str | None = None) -> None:
    """Print a table in the terminal (CJK-width aware), or write it to ``output``."""
    if output is not None:
        from .exchange.tables import write_table

        write_table(output, columns, rows, fmt)
        click.echo(f"wrote {len(rows)} rows to {output}", err=True)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(soft_wrap=False).print(table)


def open_project(path: Path) -> Project:
    return Project.open(path)


@click.group(cls=QualcodeGroup, invoke_without_command=True)
@click.version_option(package_name="qualcode")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Code Chinese interview transcripts: import, segment, code, report.

    With no command, opens the coding workbench on the sample study.
    """
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


# --- project ------------------------------------------------------------------------------


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.option("--codebook", "codebook_path", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Start from this codebook YAML file.")
@click.option("--name", help="The study's name (default: the folder's name).")
def init(project: Path, codebook_path: Path | None, name: str | None) -> None:
    """Create a new project folder PROJECT."""
    from .study import init_project

    with init_project(project, codebook_path, name) as created:
        n = len(created.codebook().by_id())
    click.echo(f"created {project / 'qualcode.db'} with {n} codes")


@main.command("import")
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with one row per respondent: a column 'transcript' (or the first "
              "column) names the transcript, the other columns are its attributes.")
def import_(project: Path, files: tuple[Path, ...], attributes: Path | None) -> None:
    """Import transcript FILES (.txt, .md, .docx; UTF-8, GB18030/GBK, Big5) into PROJECT."""
    from .study import import_files

    if not files and attributes is None:
        raise click.UsageError("give transcript files to import, or --attributes")
    with open_project(project) as opened:
        results = import_files(opened, files, attributes)
        for result in results:
            detail = f"{result.turns} turns, {result.sentences} sentences" if result.turns else ""
            click.echo(f"{result.status:9} {result.name}  {detail}")
            for warning in result.warnings:
                click.echo(f"  warning: {result.name}: {warning}", err=True)
        if attributes is not None:
            click.echo(f"attributes for {len(opened.attributes())} respondents from {attributes}")


@main.command("list")
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@_output_option
def list_(project: Path, output: Path | None, fmt: str | None) -> None:
    """List the transcripts: turns, sentences, characters, % of sentences coded."""
    with open_project(project) as opened:
        attributes = opened.attributes()
        names = opened.attribute_names()
        rows = [
            [s.name, s.format, s.turns, s.sentences, s.characters, s.codings,
             f"{s.percent_coded:.0f}", *(attributes.get(s.name, {}).get(a, "") for a in names)]
            for s in opened.summaries()
        ]
    emit(["transcript", "format", "turns", "sentences", "characters", "codings", "% coded",
          *names], rows, output, fmt)


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.argument("transcript")
@click.option("--sentences", "unit", flag_value="sentences", default=True,
              help="One row per sentence (the default).")
@click.option("--turns", "unit", flag_value="turns", help="One row per speaker turn.")
@click.option("--text", "unit", flag_value="text", help="The stored text verbatim.")
@_output_option
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


# --- coding -------------------------------------------------------------------------------


def _parse_chars(chars: str) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in chars.split(":"))
    except ValueError:
        raise click.BadParameter(f"{chars!r} is not START:END, e.g. 340:362", param_hint="--chars")
    return start, end


def _target(opened: Project, transcript: str, args: tuple[str, ...], chars: str | None,
            command: str) -> tuple[str, int, int, str]:
    """Resolve ``SENTENCE CODE`` or ``--chars START:END CODE`` to (transcript, start, end, code)."""
    name = opened.resolve(transcript)
    if chars is not None:
        if len(args) != 1:
            raise click.UsageError(f"with --chars give one CODE: qualcode {command} PROJECT "
                                   "TRANSCRIPT --chars START:END CODE")
        start, end = _parse_chars(chars)
        return name, start, end, args[0]
    if len(args) != 2:
        raise click.UsageError(f"give SENTENCE CODE (e.g. 12 publicity.awareness), or "
                               f"--chars START:END CODE: qualcode {command} --help")
    first, _, last = args[0].partition("-")
    try:
        numbers = int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(f"{args[0]!r} is not a sentence number or range like 12-14",
                                 param_hint="SENTENCE")
    start = opened.sentence(name, numbers[0]).start
    end = opened.sentence(name, numbers[1]).end
    if end <= start:
        raise click.BadParameter(f"sentence range {args[0]} runs backwards", param_hint="SENTENCE")
    return name, start, end, args[1]


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.argument("transcript")
@click.argument("args", nargs=-1, metavar="[SENTENCE] CODE")
@click.option("--chars", metavar="START:END", help="Code characters START to END (code points, "
              "end exclusive) instead of a sentence.")
@click.option("--coder", required=True, help="Who is coding (e.g. wang).")
@click.option("--memo", default="", help="A memo on this coding.")
def code(project: Path, transcript: str, args: tuple[str, ...], chars: str | None, coder: str,
         memo: str) -> None:
    """Code sentence SENTENCE (a number or a range like 12-14) of TRANSCRIPT with CODE."""
    with open_project(project) as opened:
        name, start, end, code_id = _target(opened, transcript, args, chars, "code")
        coding = opened.add_coding(name, start, end, code_id, coder, memo=memo)
    click.echo(f"coded #{coding.id} {name} {start}:{end} {code_id} ({coder}): {coding.text}")


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.argument("transcript")
@click.argument("args", nargs=-1, metavar="[SENTENCE] CODE")
@click.option("--chars", metavar="START:END", help="The coding's characters instead of a sentence.")
@click.option("--coder", required=True, help="Whose coding to remove.")
def uncode(project: Path, transcript: str, args: tuple[str, ...], chars: str | None,
           coder: str) -> None:
    """Remove CODER's coding with CODE on sentence SENTENCE (or --chars) of TRANSCRIPT."""
    with open_project(project) as opened:
        name, start, end, code_id = _target(opened, transcript, args, chars, "uncode")
        opened.require_code(code_id)
        mine = opened.codings(name, coder=coder, code_id=code_id, status=None)
        exact = [c for c in mine if (c.start, c.end) == (start, end)]
        if not exact:
            near = [f"{c.start}:{c.end}" for c in mine if c.start < end and start < c.end]
            hint = (f"; {coder}'s overlapping codings with {code_id} are at {', '.join(near)} "
                    "(remove one with --chars START:END)") if near else ""
            raise QualcodeError(f"{coder} has no coding with {code_id} exactly on "
                                f"{name} {start}:{end}{hint}")
        for coding in exact:
            opened.remove_coding(coding.id)
    click.echo(f"removed {len(exact)} coding(s) {name} {start}:{end} {code_id} ({coder})")


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
@click.option("--transcript", help="Only this transcript (name or unique prefix).")
@click.option("--coder", help="Only this coder's codings.")
@click.option("--code", "code_id", help="Only codings with this code id.")
@click.option("--status", type=click.Choice(["confirmed", "suggested", "rejected", "all"]),
              default="confirmed", show_default=True)
@_output_option
def codings(project: Path, transcript: str | None, coder: str | None, code_id: str | None,
            status: str, output: Path | None, fmt: str | None) -> None:
    """List codings with their text, offsets, coder and memo."""
    with open_project(project) as opened:
        labels = {c.id: c.label for c, _, _ in opened.codebook().walk()}
        found = opened.codings(transcript, coder=coder, code_id=code_id,
                               status=None if status == "all" else status)
    rows = [[c.id, c.transcript, c.start, c.end, c.code_id, labels.get(c.code_id, ""), c.coder,
             c.status, c.memo, c.text, c.created] for c in found]
    emit(["id", "transcript", "start", "end", "code_id", "code", "coder", "status", "memo",
          "text", "created"], rows, output, fmt)


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
def undo(project: Path) -> None:
    """Undo the last change to codings, codes or memos (also one from an earlier session)."""
    with open_project(project) as opened:
        action = opened.undo()
    click.echo(f"undid: {action}" if action else "nothing to undo")


@main.command()
@click.argument("project", type=click.Path(file_okay=False, path_type=Path))
def redo(project: Path) -> None:
    """Redo the last undone change."""
    with open_project(project) as opened:
        action = opened.redo()
    click.echo(f"redid: {action}" if action else "nothing to redo")


# --- codebooks ----------------------------------------------------------------------------


@main.group()
def codebook() -> None:
    """Validate, show and compare codebooks (YAML files, or a project's working codebook)."""


def _load_codebook(source: Path):
    if source.is_dir():
        with open_project(source) as opened:
            return opened.codebook()
    from .codebook import load_codebook

    return load_codebook(source)


@codebook.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a codebook YAML file; prints file:line: problem and exits 1 if it is not valid."""
    book = _load_codebook(file)
    click.echo(f"{file}: valid, {len(book.by_id())} codes")


@codebook.command("show")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@_output_option
def codebook_show(source: Path, output: Path | None, fmt: str | None) -> None:
    """Show the code tree of a codebook file or of a PROJECT folder, with ids and labels."""
    book = _load_codebook(source)
    if output is not None:
        rows = [[c.id, parent.id if parent else "", depth, c.label, c.label_en, c.color,
                 c.description, " ".join(c.keywords)] for c, parent, depth in book.walk()]
        emit(["id", "parent", "depth", "label", "label_en", "color", "description", "keywords"],
             rows, output, fmt)
        return
    from rich.console import Console
    from rich.tree import Tree

    tree = Tree(f"[bold]{book.name}[/]")
    nodes = {}
    for c, parent, _ in book.walk():
        colour = f"[{c.color}]■[/] " if c.color else ""
        english = f" [dim]{c.label_en}[/]" if c.label_en else ""
        nodes[c.id] = (nodes[parent.id] if parent else tree).add(
            f"{colour}{c.label}{english}  [cyan]{c.id}[/]"
        )
    Console().print(tree)


@codebook.command("diff")
@click.argument("old", type=click.Path(exists=True, path_type=Path))
@click.argument("new", type=click.Path(exists=True, path_type=Path))
@_output_option
def codebook_diff(old: Path, new: Path, output: Path | None, fmt: str | None) -> None:
    """Show codes added, removed and changed (by id) from OLD to NEW."""
    from .codebook import diff_codebooks

    difference = diff_codebooks(_load_codebook(old), _load_codebook(new))
    rows = difference.rows()
    if output is None and not rows:
        click.echo("no differences")
        return
    emit(["change", "code_id", "field", "old", "new"], rows, output, fmt)


# --- the workbench ------------------------------------------------------------------------


@main.command()
@click.argument("project", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--coder", help="Code as this coder (remembered for next time).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="UI language (default: the "
              "saved choice, else Chinese when the locale is Chinese).")
def tui(project: Path | None, coder: str | None, lang: str | None) -> None:
    """Open the coding workbench on PROJECT (default: the sample study)."""
    from .tui.app import build_app

    if project is None:
        click.echo("opening the sample study (prepared on first use)…", err=True)
    build_app(project, lang=lang, coder=coder).run()


def run() -> None:  # pragma: no cover - console entry for `python -m qualcode`
    main(prog_name="qualcode")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
