"""``stalecreds demo``: the demo account on a local moto server, scanned or served."""

from __future__ import annotations

import contextlib
import threading

import click

from stalecreds.cli.common import emit_scan, handle_errors, show_warnings
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
def demo(output_format: str, max_age: int, serve: bool) -> None:
    """Scan a realistic demo account on a local moto IAM server (no AWS account needed).

    Needs the demo extra: pip install 'stalecreds[demo]'. Exits 0 unless the demo itself fails.
    """
    with handle_errors():
        from stalecreds.demo import (
            DEMO_ACCESS_KEY_ID,
            DEMO_SECRET,
            local_iam,
            scan_demo_account,
            seed_demo_account,
        )

        if serve:
            with local_iam() as iam:
                seed_demo_account(iam, now())
                endpoint = iam.meta.endpoint_url
                click.echo(
                    "The demo account is served on this machine only. In another terminal:\n\n"
                    f"  export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION=us-east-1\n"
                    f"  export AWS_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} "
                    f"AWS_SECRET_ACCESS_KEY={DEMO_SECRET}\n"
                    "  stalecreds scan\n"
                    "  stalecreds plan --out plan.json\n"
                    "  stalecreds apply plan.json\n"
                    "  stalecreds undo <the journal apply prints>\n\n"
                    "Press Ctrl-C here to stop the server."
                )
                with contextlib.suppress(KeyboardInterrupt):
                    threading.Event().wait()
            return
        result = scan_demo_account(max_age, now())
        emit_scan(result, OutputFormat(output_format), None)
    show_warnings(result)
    click.echo(
        "stalecreds: this was a demo account on a local moto server; "
        "run 'stalecreds scan' to scan yours",
        err=True,
    )
