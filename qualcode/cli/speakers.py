"""``qualcode speakers``: each transcript's speakers, their turns, roles and descriptions; and
setting a speaker's role (interviewer, respondent, other) in one transcript or in all."""

from __future__ import annotations

from pathlib import Path

import click

from . import emit, main, open_project, output_option, project_argument


@main.command()
@project_argument
@click.argument("transcript", required=False)
@click.option(
    "--role",
    "assignments",
    multiple=True,
    metavar="NAME=ROLE",
    help="Set a speaker's role: interviewer, respondent or other (e.g. "
    "--role 李明=interviewer; repeatable).",
)
@click.option(
    "--all",
    "everywhere",
    is_flag=True,
    help="With --role: set it in every transcript where that name speaks, and in "
    "those imported later (give no TRANSCRIPT).",
)
@output_option
def speakers(
    project: Path,
    transcript: str | None,
    assignments: tuple[str, ...],
    everywhere: bool,
    output: Path | None,
    fmt: str | None,
) -> None:
    """List the speakers of TRANSCRIPT (or of every transcript): turns, role, whether the role
    was guessed from the label (and why) or set, and the description a bracketed label gave
    (受访者（女，35岁）：). With --role NAME=ROLE, set roles first; a role set here is kept
    when the transcript is imported again. Reports, word counts and auto-coding count only
    some roles' speech with --speaker-role."""
    from ..roles import guess_roles, parse_assignment

    if assignments and transcript is None and not everywhere:
        raise click.UsageError(
            "name the TRANSCRIPT whose speaker it is, or add --all to set "
            "the role in every transcript"
        )
    if everywhere and transcript is not None:
        raise click.UsageError("--all sets the role in every transcript: leave TRANSCRIPT out")
    if everywhere and not assignments:
        raise click.UsageError("--all goes with --role NAME=ROLE")
    chosen = [parse_assignment(text) for text in assignments]
    with open_project(project) as opened:
        changed: list[str] = []
        with opened.transaction():  # several --role: all of them or none
            for name, role in chosen:
                done = opened.set_speaker_role(None if everywhere else transcript, name, role)
                changed += done
                click.echo(
                    f"{name}: {role} in {len(done)} transcript"
                    f"{'s' if len(done) != 1 else ''} ({', '.join(done)})",
                    err=True,
                )
        if everywhere:
            listed = {t: s for t, s in opened.speakers().items() if t in changed}
        else:
            listed = opened.speakers(transcript)
    rows = []
    for name, found in listed.items():
        guesses = guess_roles(
            [s.name for s in found], {s.name: s.description for s in found if s.description}
        )
        for speaker in found:
            how = "set" if speaker.role_set else f"guessed: {guesses[speaker.name].reason}"
            rows.append(
                [
                    name,
                    speaker.name or "(unknown)",
                    speaker.turns,
                    speaker.role,
                    how,
                    speaker.description,
                ]
            )
    columns = ["transcript", "speaker", "turns", "role", "how", "description"]
    if transcript is not None and output is None:
        rows = [row[1:] for row in rows]
        columns = columns[1:]
    title = (
        next(iter(listed))
        if transcript is not None and listed
        else f"speakers of {len(listed)} transcripts"
    )
    emit(columns, rows, output, fmt, title=title)
