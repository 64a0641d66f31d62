"""Commands that create a project, import transcripts and show what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from . import emit, main, open_project, output_option, project_argument


@main.command()
@project_argument
@click.option(
    "--codebook",
    "codebook_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start from this codebook YAML file.",
)
@click.option("--name", help="The study's name (default: the folder's name).")
@click.option(
    "--sample",
    is_flag=True,
    help="Create the sample study: its codebook, six "
    "interviews and the participants' attributes, imported and ready to code.",
)
def init(project: Path, codebook_path: Path | None, name: str | None, sample: bool) -> None:
    """Create a new project folder PROJECT."""
    from ..study import create_sample_project, init_project

    if sample and codebook_path is not None:
        raise click.UsageError("--sample brings its own codebook: leave out --codebook")
    with (
        create_sample_project(project, name)
        if sample
        else init_project(project, codebook_path, name)
    ) as created:
        n = len(created.codebook().by_id())
        transcripts = len(created.transcript_names())
    more = f" and {transcripts} transcripts" if transcripts else ""
    click.echo(f"created {project / 'qualcode.db'} with {n} codes{more}")


@main.command("import")
@click.argument("project", type=click.Path(path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--attributes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with one row per respondent: a column 'transcript' (or the first "
    "column) names the transcript, the other columns are its attributes.",
)
@click.option(
    "--speakers",
    help="The speaker labels, comma-separated (访谈者,受访者,居民A), "
    "when the guess from the files' layout is wrong: exactly these names start turns.",
)
@click.option(
    "--preview",
    is_flag=True,
    help="Show the turns, speakers and warnings each file "
    "would give, and write nothing (PROJECT may then be left out).",
)
@click.option(
    "--allow-duplicates",
    is_flag=True,
    help="Import a file even when its text is "
    "already in PROJECT under another name (by default it is skipped and named).",
)
def import_(
    project: Path,
    files: tuple[Path, ...],
    attributes: Path | None,
    speakers: str | None,
    preview: bool,
    allow_duplicates: bool,
) -> None:
    """Import transcript FILES into PROJECT: .txt, .md, .docx (UTF-8, GB18030/GBK, Big5),
    subtitles (.srt, .vtt) and Whisper output (.json, .tsv), recognised by content too.

    Speaker labels are found by the layout that recurs through each file; every file's
    speakers and turns are listed, with the line of every speaker who speaks once and of every
    line that looks like a label but was not taken. A file whose transcript is already in
    PROJECT with other text replaces it, and its codings are carried onto the new text; those
    whose text was deleted are kept as 'unplaced'. A replacement cannot be undone.

    A file whose text is already in PROJECT under another name (the same interview saved
    twice) is skipped and named, with the transcript that has its text; --allow-duplicates
    imports it all the same."""
    from ..study import import_files

    declared = [name.strip() for name in speakers.split(",") if name.strip()] if speakers else None
    if preview:
        _preview(((project,) if project.is_file() else ()) + files, declared)
        return
    if project.is_file():
        raise click.UsageError(f"PROJECT must be a project folder, not the file {project}")
    if not files and attributes is None:
        raise click.UsageError("give transcript files to import, or --attributes")
    from .progress import progress_bar

    with open_project(project) as opened:
        with progress_bar() as progress:
            results = import_files(
                opened,
                files,
                attributes,
                declared,
                progress=progress,
                allow_duplicates=allow_duplicates,
            )
        waiting = [result.name for result in results if result.status == "waiting"]
        results = [result for result in results if result.status != "waiting"]
        for result in results:
            if result.status == "duplicate":
                click.echo(
                    f"skipped   {result.name}  same text as {result.duplicate_of} "
                    "(already imported); use --allow-duplicates to import it again"
                )
                continue
            moved = result.reanchored
            if moved is not None and moved.total:
                see = (
                    f" (see: qualcode codings {project} --status unplaced)"
                    if moved.unplaced
                    else ""
                )
                click.echo(f"{result.status} {result.name}: {moved}{see}")
            else:
                detail = (
                    f"{result.turns} turns, {result.sentences} sentences" if result.turns else ""
                )
                click.echo(f"{result.status:9} {result.name}  {detail}")
            _echo_speakers([(s.name, s.turns, s.role) for s in result.speakers])
            for warning in result.warnings:
                click.echo(f"  warning: {result.name}: {warning}", err=True)
        if any(result.status == "replaced" for result in results):
            click.echo(
                "note: replacing a transcript cannot be undone; the undo history of its "
                "codings was cleared",
                err=True,
            )
        if any(not s.role_set for result in results for s in result.speakers):
            click.echo(
                f"note: speaker roles are guessed from the labels; check and set them "
                f"with: qualcode speakers {project} TRANSCRIPT",
                err=True,
            )
        if attributes is not None:
            click.echo(f"attributes for {len(opened.attributes())} respondents from {attributes}")
        if waiting:
            click.echo(
                f"note: {len(waiting)} respondents in {attributes} have no transcript "
                f"here yet: {', '.join(waiting)}; their attributes wait as cases and join "
                "each transcript when it is imported",
                err=True,
            )


def _preview(files: tuple[Path, ...], speakers: list[str] | None) -> None:
    from collections import Counter

    from ..roles import guess_roles
    from ..study import preview_files

    if not files:
        raise click.UsageError("give transcript files to preview")
    for name, parsed in preview_files(files, speakers):
        click.echo(f"preview   {name}  {parsed.format}, {len(parsed.turns)} turns")
        turns = Counter(turn.speaker for turn in parsed.turns)
        roles = guess_roles(list(turns), parsed.speaker_descriptions)
        _echo_speakers([(speaker, n, roles[speaker].role) for speaker, n in turns.items()])
        for warning in parsed.warnings:
            click.echo(f"  warning: {name}: {warning}", err=True)
    click.echo("nothing was written (--preview)", err=True)


def _echo_speakers(speakers: list[tuple[str, int, str]]) -> None:
    """``  speakers: 访谈者 12 turns (interviewer), …`` for ``(name, turns, role)``."""
    if speakers:
        click.echo(
            "  speakers: "
            + ", ".join(
                f"{name or '(unknown)'} {turns} turn{'s' * (turns != 1)} ({role})"
                for name, turns, role in speakers
            )
        )


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
            [
                s.name,
                s.format,
                s.turns,
                s.sentences,
                s.characters,
                s.codings,
                f"{s.percent_coded:.0f}",
                *(attributes.get(case_of.get(s.name, s.name), {}).get(a, "") for a in names),
            ]
            for s in opened.summaries()
        ]
    emit(
        ["transcript", "format", "turns", "sentences", "characters", "codings", "% coded", *names],
        rows,
        output,
        fmt,
    )


@main.command()
@project_argument
@click.argument("transcript")
@click.option(
    "--sentences",
    "unit",
    flag_value="sentences",
    default=True,
    help="One row per sentence (the default).",
)
@click.option("--turns", "unit", flag_value="turns", help="One row per speaker turn.")
@click.option("--text", "unit", flag_value="text", help="The stored text verbatim.")
@output_option
def show(project: Path, transcript: str, unit: str, output: Path | None, fmt: str | None) -> None:
    """Show a transcript's numbered sentences (or turns) with speaker and offsets.

    --turns lists each turn's speaker, the speaker's role, its start time (in seconds and as
    h:mm:ss, when the transcript gives one), where its words start and end, and its text."""
    with open_project(project) as opened:
        stored = opened.transcript(transcript)
    if unit == "text":
        click.echo(stored.text)
        return
    if unit == "turns":
        role = {s.name: s.role for s in stored.speakers}
        rows = [
            [
                i + 1,
                t.speaker,
                role.get(t.speaker, ""),
                t.seconds,
                _clock(t.seconds),
                t.body_start,
                t.end,
                stored.text[t.body_start : t.end].rstrip(),
            ]
            for i, t in enumerate(stored.turns)
        ]
        emit(
            ["index", "speaker", "role", "seconds", "time", "start", "end", "text"],
            rows,
            output,
            fmt,
            title=stored.name,
        )
        return
    rows = [[s.index, s.start, s.end, s.speaker, s.text] for s in stored.sentences]
    emit(["index", "start", "end", "speaker", "text"], rows, output, fmt, title=stored.name)


def _clock(seconds: float | None) -> str:
    """A start time as h:mm:ss (``0:03:07``); empty without one."""
    if seconds is None:
        return ""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"
