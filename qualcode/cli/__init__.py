"""The ``qualcode`` command: each subcommand parses its arguments, calls the core, prints.

The commands live in the modules of this package by subject; this module holds the group,
the table output every listing shares and the workbench command.

Heavy libraries (spaCy, pandas, jieba's dictionary, Textual) are imported inside the
commands that use them, so ``qualcode --help`` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ..errors import QualcodeError
from ..store import Project

OUTPUT_HELP = (
    "Write the table to FILE (.csv UTF-8 with BOM, .xlsx, .md or .tex) instead of printing it."
)


class QualcodeGroup(click.Group):
    """Turns qualcode errors into one clear line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QualcodeError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(1)


# The project folder every per-project command takes first.
project_argument = click.argument("project", type=click.Path(file_okay=False, path_type=Path))


def coder_option(help_text: str):
    """``--coder NAME``; without it the command acts as ``QUALCODE_CODER`` or the coder the
    workbench saved (see :func:`acting_coder`)."""
    return click.option(
        "--coder",
        help=f"{help_text} (default: QUALCODE_CODER, else the coder the workbench saved).",
    )


def acting_coder(coder: str | None, doing: str) -> str:
    """The coder a command acts as: ``--coder``, else ``QUALCODE_CODER`` or the coder the
    workbench saved; a clear error when there is none (``doing`` says what needs one)."""
    from ..settings import Settings

    chosen = (coder or Settings.load().coder).strip()
    if not chosen:
        raise QualcodeError(f"say who {doing}: --coder NAME (or set QUALCODE_CODER)")
    return chosen


def output_option(function):
    function = click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "xlsx", "markdown", "latex"]),
        help="Table format when it should not follow FILE's extension.",
    )(function)
    return click.option(
        "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help=OUTPUT_HELP
    )(function)


def emit(
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    output: Path | None,
    fmt: str | None = None,
    title: str | None = None,
) -> None:
    """Print a table in the terminal (CJK-width aware), or write it to ``output``."""
    if output is not None:
        from ..exchange.tables import write_table

        write_table(output, columns, rows, fmt)
        click.echo(f"wrote {len(rows)} rows to {output}", err=True)
        return
    from rich.console import Console

    console = Console(soft_wrap=False)
    if len(rows) > LONG_TABLE:
        from .terminal import print_long_table

        print_long_table(console, columns, rows, title)
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


LONG_TABLE = 200
"""Rows past which :func:`emit` prints a table line by line (:mod:`qualcode.cli.terminal`)
instead of through a rich ``Table``, which renders every cell first (1,000 rows: 0.9 s)."""


def utf8_console() -> None:
    """Print UTF-8 whatever the console's code page: on Windows a pipe or a redirected file
    gets the ANSI code page (cp1252, cp936), in which most Chinese labels cannot be written,
    and an unencodable character would stop a command half-way."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")


def open_project(path: Path) -> Project:
    return Project.open(path)


@click.group(cls=QualcodeGroup, invoke_without_command=True)
@click.version_option(package_name="qualcode")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Code Chinese interview transcripts: import, segment, code, report.

    With no command, opens the coding workbench on the sample study.
    """
    utf8_console()
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


# --- the workbench ------------------------------------------------------------------------


@main.command()
@click.argument("project", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--coder", help="Code as this coder (remembered for next time).")
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="UI language (default: the saved choice, else Chinese when the locale is Chinese).",
)
def tui(project: Path | None, coder: str | None, lang: str | None) -> None:
    """Open the coding workbench on PROJECT (default: the sample study)."""
    from ..tui.app import build_app

    if project is None:
        click.echo("opening the sample study (prepared on first use)…", err=True)
    build_app(project, lang=lang, coder=coder).run()


# The subcommands register themselves on ``main`` (imported last: they import ``main``).
from . import (  # noqa: F401
    autocoding,
    codebooks,
    codes,
    coding,
    exchange,
    maintenance,
    privacy,
    projects,
    reports,
    serve,
    speakers,
    surveys,
)


def run() -> None:  # pragma: no cover - console entry for `python -m qualcode`
    main(prog_name="qualcode")
