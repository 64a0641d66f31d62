"""Commands that protect respondents: ``qualcode redact``, and the ``--redact`` option every
export takes (:func:`redact_option`)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import emit, main, open_project

REDACT_HELP = (
    "Replace personal data in what is written (ID, phone and bank card numbers, "
    "e-mail and street addresses, names) with the pseudonyms qualcode redact gives "
    "them; the project is not changed."
)


def redact_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give an export command that reads ``project`` the ``--redact`` flag: with it, the
    command runs on a temporary redacted copy of the project (:func:`qualcode.privacy.
    redacted_copy`, with the project's stored key), deleted when it is done."""

    @functools.wraps(command)
    def run(*args: Any, redact: bool, **kwargs: Any) -> Any:
        if not redact:
            return command(*args, **kwargs)
        from ..privacy import redacted_copy

        with open_project(kwargs["project"]) as opened, redacted_copy(opened) as copy:
            return command(*args, **{**kwargs, "project": copy.folder})

    return click.option("--redact", is_flag=True, help=REDACT_HELP)(run)


@main.command()
@click.argument("project", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the redacted project to this new folder; PROJECT stays as it is and keeps the key.",
)
@click.option(
    "--in-place",
    is_flag=True,
    help="Redact PROJECT itself, after a backup "
    "(qualcode.before-redaction.db beside it, which then holds the key).",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Only list what would be replaced, by what, how often: nothing is written.",
)
@click.option(
    "--names",
    "names_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of further names to replace, one a line.",
)
@click.option(
    "--keep",
    "keep_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of words never to replace (place names, public figures), one a line.",
)
def redact(
    project: Path,
    target: Path | None,
    in_place: bool,
    preview: bool,
    names_file: Path | None,
    keep_file: Path | None,
) -> None:
    """Find personal data in PROJECT's transcripts and replace it with pseudonyms, the same
    for the same value everywhere: resident ID numbers (checksum verified), mobile and
    landline numbers, e-mail addresses, bank card numbers (Luhn), street addresses, and names
    (tagged by rjieba; 张老师, 小刘; speaker labels; --names). A person who speaks becomes
    受访者A, B …, others 人名1, 2 …, a phone number [手机号1] and so on. Codings stay on the same
    words; memos, attributes and metadata are redacted too.

    The key (which value became which pseudonym) is never exported: it stays in PROJECT
    with -o, or in the backup with --in-place; redacting again, and --redact on exports,
    reuse it."""
    from ..errors import QualcodeError
    from ..privacy import (
        plan_for,
        read_word_list,
        redact_in_place,
        redact_project,
        redaction_summary,
    )

    if target is not None and in_place:
        raise click.UsageError("give either -o NEW or --in-place, not both")
    if target is None and not in_place and not preview:
        raise click.UsageError(
            "say where the redacted project goes (-o NEW), or --in-place, "
            "or --preview to see what would be replaced"
        )
    if target is not None and target.exists():
        raise QualcodeError(
            "this folder already exists; give a new folder for the redacted project", path=target
        )
    names = read_word_list(names_file) if names_file else []
    keep = read_word_list(keep_file) if keep_file else []
    from .progress import progress_bar

    with open_project(project) as opened:
        with progress_bar() as progress:
            plan = plan_for(opened, names=names, keep=keep, progress=progress)
        if preview:
            emit(
                ["transcript", "kind", "original", "replacement", "count"],
                plan.rows(),
                None,
                title="Personal data found (nothing written)",
            )
            click.echo(f"would replace {redaction_summary(plan.counts())}", err=True)
            return
        if in_place:
            result = redact_in_place(opened, plan)
        else:
            result = redact_project(opened, target, plan)
    click.echo(
        f"redacted {result.project}: {redaction_summary(result.counts)} in "
        f"{result.transcripts} transcript(s)"
    )
    if result.backup is not None:
        click.echo(
            f"the original text and the key are in {result.backup}: move it (and any "
            "other qualcode.*.db backups, and the files the transcripts came from) out "
            f"of {result.project} to a private place before you share the folder; "
            f"qualcode doctor {result.project} says where",
            err=True,
        )
    else:
        click.echo(f"the key stays in {project}; share {result.project} only", err=True)
