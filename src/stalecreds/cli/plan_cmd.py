"""``stalecreds plan``: options to a request, the library's plan, the plan file and its view."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from stalecreds.cli.common import (
    EXIT_AWS_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    emit,
    handle_errors,
    note,
    report_failures,
    show_warnings,
)
from stalecreds.cli.progress import TerminalObserver
from stalecreds.cli.scan_options import refuse_overwriting_report, scan_options, scan_request
from stalecreds.remediate.plan import DEFAULT_QUARANTINE_DAYS
from stalecreds.remediate.plan_file import plan_to_json
from stalecreds.wording import plural
from stalecreds.workflows.plan import PlanRequest, make_plan


@click.command()
@scan_options
@click.option(
    "--output",
    "-o",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the plan (JSON) to FILE, atomically (- for standard output; the plan's table "
    "then goes to standard error). Required.",
)
@click.option(
    "--out",
    "old_out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    hidden=True,
    help="The former name of --output.",
)
@click.option(
    "--key-action",
    type=click.Choice(["deactivate", "delete"]),
    default="deactivate",
    show_default=True,
    help="What to do with an unused Active access key.",
)
@click.option(
    "--password-action",
    type=click.Choice(["delete", "reset"]),
    default="delete",
    show_default=True,
    help="delete removes console access (the login profile); reset sets a long random "
    "password nobody sees, with a reset required.",
)
@click.option(
    "--history",
    "history_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Also take when keys were first seen Inactive from the scan history (see 'scan "
    "--history') for the quarantine of deletions.",
)
@click.option(
    "--quarantine-days",
    type=click.IntRange(min=0),
    default=DEFAULT_QUARANTINE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="An Inactive, unused key is planned for deletion after this many days inactive.",
)
def plan(
    out_path: Path | None,
    old_out_path: Path | None,
    key_action: str,
    password_action: str,
    quarantine_days: int,
    history_path: str | None,
    **options: Any,
) -> None:
    """Plan remedies for the findings of a scan, for review before 'stalecreds apply'.

    Never planned: the access key this run signs with, root user credentials, exempt users,
    verdicts other than unused and never_used, keys whose ID is unknown, and users the report
    lists on more than one row; each is listed with the reason.
    """
    if out_path is not None and old_out_path is not None and out_path != old_out_path:
        raise click.UsageError("give --output (or its old name --out) once")
    out_path = out_path or old_out_path
    if out_path is None:
        raise click.UsageError("Missing option '-o' / '--output' (the plan file; - for stdout).")
    to_stdout = str(out_path) == "-"
    request = scan_request(options)
    if not to_stdout:
        refuse_overwriting_report(request, out_path)
    with handle_errors():
        history = None
        if history_path is not None:
            from stalecreds.history.store import history_file

            history = history_file(history_path)
        planned = make_plan(
            PlanRequest(request, key_action, password_action, quarantine_days, history),
            TerminalObserver(),
        )
    show_warnings(planned.scan)
    failures = report_failures(planned.scan)
    text = plan_to_json(planned.plan)
    emit(lambda out: out.write(text), None if to_stdout else out_path, streams=True)
    from stalecreds.formats.plan_view import render_plan

    render_plan(planned.plan, sys.stderr if to_stdout else sys.stdout)
    if not to_stdout:
        note(f"wrote the plan to {out_path}; review it, then: stalecreds apply {out_path}")
    if failures:
        click.echo(
            f"stalecreds: {plural(len(failures), 'account')} could not be scanned: nothing is "
            "planned for them",
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_AWS_ERROR if planned.errors else EXIT_OK)
