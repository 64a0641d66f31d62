"""``qualcode codebook ...``: validate, show and compare codebooks."""

from __future__ import annotations

from pathlib import Path

import click

from . import emit, main, open_project, output_option


@main.group()
def codebook() -> None:
    """Validate, show and compare codebooks (YAML files, or a project's working codebook)."""


def _load_codebook(source: Path):
    if source.is_dir():
        with open_project(source) as opened:
            return opened.codebook()
    from ..codebook import load_codebook

    return load_codebook(source)


@codebook.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check a codebook YAML file; prints file:line: problem and exits 1 if it is not valid.

    Warns (exit 0) about what is valid here but breaks other programs: a label that several
    codes share (QualCoder, Taguette and ATLAS.ti need every label unique)."""
    from ..codebook import duplicate_label_warnings

    book = _load_codebook(file)
    for warning in duplicate_label_warnings(book):
        click.echo(f"warning: {file}: {warning}", err=True)
    click.echo(f"{file}: valid, {len(book.by_id())} codes")


@codebook.command("show")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@output_option
def codebook_show(source: Path, output: Path | None, fmt: str | None) -> None:
    """Show the code tree of a codebook file or of a PROJECT folder, with ids and labels."""
    book = _load_codebook(source)
    if output is not None:
        rows = [
            [
                c.id,
                parent.id if parent else "",
                depth,
                c.label,
                c.label_en,
                c.color,
                c.description,
                " ".join(c.keywords),
            ]
            for c, parent, depth in book.walk()
        ]
        emit(
            ["id", "parent", "depth", "label", "label_en", "color", "description", "keywords"],
            rows,
            output,
            fmt,
        )
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
@output_option
def codebook_diff(old: Path, new: Path, output: Path | None, fmt: str | None) -> None:
    """Show codes added, removed and changed (by id) from OLD to NEW."""
    from ..codebook import diff_codebooks

    difference = diff_codebooks(_load_codebook(old), _load_codebook(new))
    rows = difference.rows()
    if output is None and not rows:
        click.echo("no differences")
        return
    emit(["change", "code_id", "field", "old", "new"], rows, output, fmt)
