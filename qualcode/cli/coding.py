"""Commands that add, remove, list and undo codings."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import QualcodeError
from ..store import HistoryStep, Project
from . import acting_coder, coder_option, emit, main, open_project, project_argument
from .privacy import redact_option


def _parse_chars(chars: str) -> tuple[int, int]:
    try:
        start, end = (int(part) for part in chars.split(":"))
    except ValueError:
        raise click.BadParameter(f"{chars!r} is not START:END, e.g. 340:362", param_hint="--chars")
    return start, end


def _target(
    opened: Project, transcript: str, args: tuple[str, ...], chars: str | None, command: str
) -> tuple[str, int, int, str]:
    """Resolve ``SENTENCE CODE`` or ``--chars START:END CODE`` to (transcript, start, end, code)."""
    name = opened.resolve(transcript)
    if chars is not None:
        if len(args) != 1:
            raise click.UsageError(
                f"with --chars give one CODE: qualcode {command} PROJECT "
                "TRANSCRIPT --chars START:END CODE"
            )
        start, end = _parse_chars(chars)
        return name, start, end, args[0]
    if len(args) != 2:
        raise click.UsageError(
            f"give SENTENCE CODE (e.g. 12 publicity.awareness), or "
            f"--chars START:END CODE: qualcode {command} --help"
        )
    first, _, last = args[0].partition("-")
    try:
        numbers = int(first), int(last or first)
    except ValueError:
        raise click.BadParameter(
            f"{args[0]!r} is not a sentence number or range like 12-14", param_hint="SENTENCE"
        )
    start = opened.sentence(name, numbers[0]).start
    end = opened.sentence(name, numbers[1]).end
    if end <= start:
        raise click.BadParameter(f"sentence range {args[0]} runs backwards", param_hint="SENTENCE")
    return name, start, end, args[1]


@main.command()
@project_argument
@click.argument("transcript")
@click.argument("args", nargs=-1, metavar="[SENTENCE] CODE")
@click.option(
    "--chars",
    metavar="START:END",
    help="Code characters START to END (code points, end exclusive) instead of a sentence.",
)
@coder_option("Who is coding (e.g. wang)")
@click.option("--memo", default="", help="A memo on this coding.")
def code(
    project: Path,
    transcript: str,
    args: tuple[str, ...],
    chars: str | None,
    coder: str | None,
    memo: str,
) -> None:
    """Code sentence SENTENCE (a number or a range like 12-14) of TRANSCRIPT with CODE."""
    coder = acting_coder(coder, "is coding")
    with open_project(project) as opened:
        name, start, end, code_id = _target(opened, transcript, args, chars, "code")
        coding = opened.add_coding(name, start, end, code_id, coder, memo=memo)
    click.echo(f"coded #{coding.id} {name} {start}:{end} {code_id} ({coder}): {coding.text}")


@main.command()
@project_argument
@click.argument("transcript")
@click.argument("args", nargs=-1, metavar="[SENTENCE] CODE")
@click.option("--chars", metavar="START:END", help="The coding's characters instead of a sentence.")
@coder_option("Whose coding to remove")
def uncode(
    project: Path, transcript: str, args: tuple[str, ...], chars: str | None, coder: str | None
) -> None:
    """Remove CODER's coding with CODE on sentence SENTENCE (or --chars) of TRANSCRIPT."""
    coder = acting_coder(coder, "removes the coding")
    with open_project(project) as opened:
        name, start, end, code_id = _target(opened, transcript, args, chars, "uncode")
        opened.require_code(code_id)
        mine = opened.codings(name, coder=coder, code_id=code_id, status=None)
        exact = [c for c in mine if (c.start, c.end) == (start, end)]
        if not exact:
            near = [f"{c.start}:{c.end}" for c in mine if c.start < end and start < c.end]
            hint = (
                (
                    f"; {coder}'s overlapping codings with {code_id} are at {', '.join(near)} "
                    "(remove one with --chars START:END)"
                )
                if near
                else ""
            )
            raise QualcodeError(
                f"{coder} has no coding with {code_id} exactly on {name} {start}:{end}{hint}"
            )
        for coding in exact:
            opened.remove_coding(coding.id)
    click.echo(f"removed {len(exact)} coding(s) {name} {start}:{end} {code_id} ({coder})")


@main.command()
@project_argument
@click.option("--transcript", help="Only this transcript (name or unique prefix).")
@click.option("--coder", help="Only this coder's codings.")
@click.option("--code", "code_id", help="Only codings with this code id.")
@click.option(
    "--status",
    type=click.Choice(["confirmed", "suggested", "rejected", "unplaced", "all"]),
    default="confirmed",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the codings to FILE (.csv UTF-8 with BOM, .xlsx, .md, .tex, or .jsonl "
    "for one JSON object a line) instead of printing them.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "markdown", "latex", "jsonl"]),
    help="File format when it should not follow FILE's extension.",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="ATTR=VALUE",
    help="Only codings of respondents whose attribute has this value (ATTR!=VALUE: "
    "does not); repeat to combine with AND.",
)
@redact_option
def codings(
    project: Path,
    transcript: str | None,
    coder: str | None,
    code_id: str | None,
    status: str,
    output: Path | None,
    fmt: str | None,
    where: tuple[str, ...],
) -> None:
    """List codings with their text, offsets, coder, memo and the hash of their transcript's
    text. A second coder exports theirs with --coder NAME -o FILE.csv (or .jsonl); the main
    project brings them in with: qualcode import-codings PROJECT FILE --coder NAME."""
    from ..attribute_filter import matching_transcripts
    from ..exchange.codings import CODINGS_COLUMNS

    with open_project(project) as opened:
        labels = {c.id: c.label for c, _, _ in opened.codebook().walk()}
        found = opened.codings(
            transcript, coder=coder, code_id=code_id, status=None if status == "all" else status
        )
        if (chosen := matching_transcripts(opened, where)) is not None:
            allowed = set(chosen)
            found = [c for c in found if c.transcript in allowed]
        hashes = opened.transcript_hashes()
    rows = [
        [
            c.id,
            c.transcript,
            c.start,
            c.end,
            c.code_id,
            labels.get(c.code_id, ""),
            c.coder,
            c.status,
            c.memo,
            c.text,
            c.created,
            hashes[c.transcript],
        ]
        for c in found
    ]
    emit(CODINGS_COLUMNS, rows, output, fmt)


def _step_text(step: HistoryStep) -> str:
    """``code publicity (wang) A01_zhang sentence 12``: what an undo or redo did, and where."""
    parts = [step.action]
    if step.code_id:
        parts.append(step.code_id)
    if step.coder:
        parts.append(f"({step.coder})")
    if step.transcript:
        parts.append(step.transcript + (f" sentence {step.sentence}" if step.sentence else ""))
    return " ".join(parts)


@main.command()
@project_argument
@click.option(
    "--coder",
    help="Undo this coder's last change only (others' stay as they are); "
    "without it, the last change of anyone.",
)
def undo(project: Path, coder: str | None) -> None:
    """Undo the last change to codings, codes or memos (also one from an earlier session)."""
    with open_project(project) as opened:
        step = opened.undo(coder)
    click.echo(f"undid: {_step_text(step)}" if step else "nothing to undo")


@main.command()
@project_argument
@click.option("--coder", help="Redo this coder's last undone change only.")
def redo(project: Path, coder: str | None) -> None:
    """Redo the last undone change."""
    with open_project(project) as opened:
        step = opened.redo(coder)
    click.echo(f"redid: {_step_text(step)}" if step else "nothing to redo")
