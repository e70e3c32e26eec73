"""``stalecreds demo``: the demo account on a local moto server, scanned or served."""

from __future__ import annotations

import contextlib
import threading

import click

from stalecreds.cli.common import emit_scan, handle_errors, note, show_warnings
from stalecreds.cli.scan_cmd import FORMAT_OPTION
from stalecreds.formats import OutputFormat
from stalecreds.rules.verdicts import DEFAULT_MAX_AGE_DAYS
from stalecreds.workflows.scan import now


@click.command()
@FORMAT_OPTION
@click.option(
    "--max-age",
    type=click.IntRange(min=1, max=36_500),
    default=DEFAULT_MAX_AGE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="A credential not used for more days than this is unused.",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Keep the demo account's server running (until Ctrl-C) and print how to point "
    "stalecreds at it, to try plan, apply and undo.",
)
@click.option(
    "--port",
    type=click.IntRange(min=0, max=65535),
    default=0,
    show_default=True,
    help="With --serve: the port on 127.0.0.1 to serve on (0: any free port).",
)
def demo(output_format: str, max_age: int, serve: bool, port: int) -> None:
    """Scan a realistic demo account on a local moto IAM server (no AWS account needed).

    Needs the demo extra: pip install 'stalecreds[demo]'. Exits 0 unless the demo itself fails.
    """
    with handle_errors():
        from stalecreds.demo import (
            local_iam,
            scan_demo_account,
            seed_demo_account,
            serve_instructions,
        )

        if port and not serve:
            raise click.UsageError("--port needs --serve")
        if serve:
            with local_iam(port) as iam:
                seed_demo_account(iam, now())
                click.echo(serve_instructions(iam.meta.endpoint_url))
                with contextlib.suppress(KeyboardInterrupt):
                    threading.Event().wait()
            click.echo("\nstalecreds: demo server stopped", err=True)
            return
        result = scan_demo_account(max_age, now())
        emit_scan(result, OutputFormat(output_format), None)
    show_warnings(result)
    note(
        "try the workflow on it with 'stalecreds demo --serve': scan --history, plan, "
        "apply --dry-run, apply and undo"
    )
    note("this was a demo account on a local moto server; run 'stalecreds scan' to scan yours")
