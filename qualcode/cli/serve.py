"""``qualcode serve``: the workbench in a web browser."""

from __future__ import annotations

from pathlib import Path

import click

from . import main


@main.command()
@click.argument("project", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="The port to listen on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on. Any address other than this machine's own "
    "(127.0.0.1, localhost) needs a token, created now and printed in the address "
    "to open; requests without it are refused.",
)
@click.option("--coder", help="Code as this coder in every browser tab.")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="UI language.")
def serve(project: Path | None, port: int, host: str, coder: str | None, lang: str | None) -> None:
    """Open the workbench on PROJECT (default: the sample study) in a web browser.

    Each browser tab that opens the address runs its own workbench on the project. Nothing
    is fetched from the internet. Ctrl+C stops the server."""
    from ..serve import serve_project

    if project is None:
        click.echo("serving the sample study (prepared on first use)…", err=True)
    server = serve_project(project, host=host, port=port, lang=lang, coder=coder)

    def ready(url: str) -> None:
        click.echo(f"qualcode: open {url} in a web browser (Ctrl+C stops)")
        if server.token:
            click.echo(
                "anyone who has this address can read and code the project: share it "
                "only with the people coding it",
                err=True,
            )

    server.run(ready)
