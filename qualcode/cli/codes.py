"""``qualcode codes ...``: refine the project's working codebook while coding (rename, edit,
move, merge, split, delete codes) and read its history. ``qualcode codebook`` handles files."""

from __future__ import annotations

from pathlib import Path

import click

from ..codes import FIELDS, LIST_FIELDS, TOP, CodeChange
from . import acting_coder, emit, main, open_project, output_option, project_argument
from . import coder_option as shared_coder_option

_CODER_HELP = (
    "Who makes the change: it goes into the codebook's history, and "
    "`qualcode undo --coder NAME` undoes it"
)
coder_option = shared_coder_option(_CODER_HELP)


def _coder(coder: str | None) -> str:
    return acting_coder(coder, "changes the codebook")


def _done(change: CodeChange | None, coder: str, project: Path) -> None:
    if change is None:
        click.echo("nothing to change")
        return
    click.echo(change.text())
    click.echo(f"undo it with: qualcode undo {project} --coder {coder}", err=True)


@main.group()
def codes() -> None:
    """Refine PROJECT's working codes while coding: rename, edit, move, merge, split, delete.

    Each change is one step that `qualcode undo --coder NAME` takes back, and a line of
    `qualcode codes history` for the methods chapter. Codings, suggestions, code memos,
    favourite keys and REFI-QDA GUIDs follow the code.
    """


@codes.command()
@project_argument
@click.argument("code_id", metavar="ID")
@click.option(
    "--id",
    "new_id",
    metavar="NEW_ID",
    help="A new id: every coding, child code, "
    "code memo and favourite key follows, and exports keep the code's GUID.",
)
@click.option("--label", help="A new label.")
@click.option("--label-en", help="A new English label.")
@click.option("--color", help="A new colour, #rrggbb.")
@coder_option
def rename(
    project: Path,
    code_id: str,
    new_id: str | None,
    label: str | None,
    label_en: str | None,
    color: str | None,
    coder: str | None,
) -> None:
    """Rename code ID: its id (--id), label, English label or colour."""
    fields = {
        k: v
        for k, v in (("label", label), ("label_en", label_en), ("color", color))
        if v is not None
    }
    if new_id is None and not fields:
        raise click.UsageError("give what changes: --id, --label, --label-en or --color")
    who = _coder(coder)
    from ..codes import edit_code

    with open_project(project) as opened:
        change = edit_code(opened, code_id, who, new_id=new_id, **fields)
    _done(change, who, project)


@codes.command()
@project_argument
@click.argument("code_id", metavar="ID")
@click.option("--label", help="A new label.")
@click.option("--label-en", help="A new English label.")
@click.option("--color", help="A new colour, #rrggbb.")
@click.option("--description", help="What the code means.")
@click.option("--include", help="When to apply it.")
@click.option("--exclude", help="When not to (and which code to use instead).")
@click.option(
    "--example",
    "examples",
    multiple=True,
    help="An example quote; repeat for several (they replace the examples).",
)
@click.option(
    "--keyword",
    "keywords",
    multiple=True,
    help="A keyword for auto-coding; repeat for several (they replace the keywords).",
)
@click.option(
    "--clear",
    "cleared",
    multiple=True,
    metavar="FIELD",
    type=click.Choice([f for f in FIELDS if f != "label"]),
    help="Empty this field; repeat for several.",
)
@coder_option
def edit(
    project: Path,
    code_id: str,
    label: str | None,
    label_en: str | None,
    color: str | None,
    description: str | None,
    include: str | None,
    exclude: str | None,
    examples: tuple[str, ...],
    keywords: tuple[str, ...],
    cleared: tuple[str, ...],
    coder: str | None,
) -> None:
    """Edit the definition of code ID: label, English label, colour, description, include,
    exclude, examples, keywords."""
    given = {
        "label": label,
        "label_en": label_en,
        "color": color,
        "description": description,
        "include": include,
        "exclude": exclude,
        "examples": list(examples) or None,
        "keywords": list(keywords) or None,
    }
    fields = {name: value for name, value in given.items() if value is not None}
    for name in cleared:
        if name in fields:
            raise click.UsageError(f"--clear {name} and a new {name} at once")
        fields[name] = [] if name in LIST_FIELDS else ""
    if not fields:
        raise click.UsageError("give a field to change (see --help)")
    who = _coder(coder)
    from ..codes import edit_code

    with open_project(project) as opened:
        change = edit_code(opened, code_id, who, **fields)
    _done(change, who, project)


@codes.command()
@project_argument
@click.argument("code_id", metavar="ID")
@click.option("--parent", "parent_id", metavar="PARENT_ID", help="Move it under this code.")
@click.option("--top", is_flag=True, help="Move it to the top level.")
@click.option(
    "--position",
    type=click.IntRange(min=1),
    help="Its place among its (new) "
    "siblings, 1 first; alone, it reorders the code under its parent.",
)
@coder_option
def move(
    project: Path,
    code_id: str,
    parent_id: str | None,
    top: bool,
    position: int | None,
    coder: str | None,
) -> None:
    """Move code ID (with the codes below it) under another parent, to the top level, or to
    another place among its siblings."""
    from ..codes import SAME_PARENT, move_code

    if parent_id is not None and top:
        raise click.UsageError("give --parent or --top, not both")
    if parent_id is None and not top and position is None:
        raise click.UsageError("give where to: --parent PARENT_ID, --top or --position N")
    who = _coder(coder)
    parent = TOP if top else (parent_id if parent_id is not None else SAME_PARENT)
    with open_project(project) as opened:
        change = move_code(
            opened, code_id, who, parent_id=parent, position=position - 1 if position else None
        )
    _done(change, who, project)


@codes.command()
@project_argument
@click.argument("from_id")
@click.argument("into_id")
@click.option(
    "--with-children",
    is_flag=True,
    help="Merge the codes below FROM_ID too (without it they move under INTO_ID).",
)
@coder_option
def merge(
    project: Path, from_id: str, into_id: str, with_children: bool, coder: str | None
) -> None:
    """Merge code FROM_ID into INTO_ID: its codings become codings of INTO_ID (two that then
    coincide become one, memos joined), its memos and favourite key follow, and FROM_ID
    leaves the codebook."""
    from ..codes import merge_codes

    who = _coder(coder)
    with open_project(project) as opened:
        change = merge_codes(opened, from_id, into_id, who, with_children=with_children)
    _done(change, who, project)


@codes.command()
@project_argument
@click.argument("from_id")
@click.argument("into_id")
@click.argument("coding_ids", nargs=-1, required=True, type=int, metavar="CODING_ID...")
@click.option(
    "--label",
    help="Create INTO_ID as a new code with this label (beside FROM_ID unless --parent or --top).",
)
@click.option("--parent", "parent_id", metavar="PARENT_ID", help="The new code's parent.")
@click.option("--top", is_flag=True, help="The new code at the top level.")
@coder_option
def split(
    project: Path,
    from_id: str,
    into_id: str,
    coding_ids: tuple[int, ...],
    label: str | None,
    parent_id: str | None,
    top: bool,
    coder: str | None,
) -> None:
    """Split a theme: recode the codings CODING_ID... of FROM_ID to INTO_ID (see their ids with
    `qualcode codings PROJECT --code FROM_ID`)."""
    from ..codes import SAME_PARENT, split_codings
    from ..model import Code

    if (parent_id is not None or top) and label is None:
        raise click.UsageError("--parent and --top place a new code: give its --label too")
    who = _coder(coder)
    parent = TOP if top else (parent_id if parent_id is not None else SAME_PARENT)
    with open_project(project) as opened:
        change = split_codings(
            opened,
            from_id,
            into_id,
            coding_ids,
            who,
            new_code=Code(into_id, label) if label is not None else None,
            parent_id=parent,
        )
    _done(change, who, project)


@codes.command()
@project_argument
@click.argument("code_id", metavar="ID")
@click.option(
    "--with-codings",
    is_flag=True,
    help="Delete the codings that use it too (after saying how many).",
)
@click.option("--with-children", is_flag=True, help="Delete the codes below it too.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting codings.")
@coder_option
def delete(
    project: Path,
    code_id: str,
    with_codings: bool,
    with_children: bool,
    yes: bool,
    coder: str | None,
) -> None:
    """Delete code ID. Refused while codings use it (merge it into another code instead),
    unless --with-codings."""
    from ..codes import delete_code, usage

    who = _coder(coder)
    with open_project(project) as opened:
        if with_codings and not yes:
            found = usage(opened, code_id, with_children=with_children)
            if found.codings:
                click.confirm(f"delete {code_id} and {found.text()}?", abort=True, err=True)
        change = delete_code(
            opened, code_id, who, with_codings=with_codings, with_children=with_children
        )
    _done(change, who, project)


@codes.command()
@project_argument
@output_option
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    help="Headers and sentences in Chinese or English (default: the UI language).",
)
def history(project: Path, output: Path | None, fmt: str | None, lang: str | None) -> None:
    """Every change to PROJECT's working codebook that stands, oldest first: when, who, what
    ("merged 宣传渠道 into 宣传推广: 23 codings"); -o FILE writes it for a methods chapter."""
    from ..codes import history_rows
    from ..exchange.tables import table_language

    with open_project(project) as opened:
        columns, rows = history_rows(opened, table_language(lang))
    emit(columns, rows, output, fmt)
