"""``stalecreds history``: the library reads the history; the formats render it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from stalecreds.cli.common import emit, handle_errors, note


@click.command(name="history")
@click.option(
    "--history",
    "history_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="PATH",
    help="The history database. Default: under the user data folder.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)
def history_command(history_path: Path | None, output_format: str) -> None:
    """Show recorded scans: per credential and per account over time.

    Per credential: when it was first seen unused and when (and how) it was resolved. Per
    account: the number of scans, the trend of findings across them (one column per scan
    time of any account, so the rows line up in time) and the first and latest counts with
    their dates. JSON trend entries carry the scan ID and the scan's maximum ages.
    """
    from stalecreds.formats.history_view import history_json, render_history
    from stalecreds.history.store import default_history_path
    from stalecreds.workflows.history import HistoryRequest, read_history

    path = history_path or default_history_path()
    credentials: list[Any] = []
    scans: list[Any] = []
    if path.exists():  # none yet is a normal state, not an error (nor a reason to create one)
        with handle_errors():
            view = read_history(HistoryRequest(path))
        credentials, scans = list(view.credentials), list(view.scans)
    if not scans:
        empty = f"no scans recorded yet in {path}; record one with 'stalecreds scan --history'"
        if output_format != "json":
            click.echo(empty)
            return
        note(empty)
    if output_format == "json":
        text = history_json(credentials, scans)
        emit(lambda out: out.write(text), None, streams=True)
        return
    emit(lambda out: render_history(credentials, scans, out), None, streams=False)
