"""Commands that look after a project: ``qualcode doctor``."""

from __future__ import annotations

from pathlib import Path

import click

from . import main, project_argument


@main.command()
@project_argument
@click.option(
    "--repair",
    is_flag=True,
    help="First fix what is safe to fix: file permissions, "
    "and transcripts' turns and sentences rebuilt from their stored text (after a "
    "backup). Codings are never changed.",
)
@click.pass_context
def doctor(ctx: click.Context, project: Path, repair: bool) -> None:
    """Check PROJECT for damage and say how to repair it; exits 1 if there is a problem.

    Checks SQLite's integrity and foreign keys, codings outside their text or with codes
    missing from the codebook, codes whose parent is missing, transcripts whose turns or
    sentences are missing or out of range, and project files readable by other users.
    """
    from ..doctor import check_project, repair_project

    if repair:
        for done in repair_project(project):
            click.echo(f"repaired: {done}")
    findings = check_project(project)
    for finding in findings:
        click.echo(str(finding))
    problems = sum(finding.severity == "problem" for finding in findings)
    if not problems:
        click.echo(f"{project}: no problems found")
        return
    repairable = any(f.fix and f.fix[0] in ("chmod", "rebuild") for f in findings)
    hint = (
        f"; fix what is safe to fix with: qualcode doctor {project} --repair"
        if repairable and not repair
        else ""
    )
    click.echo(f"{project}: {problems} problem(s){hint}", err=True)
    ctx.exit(1)
