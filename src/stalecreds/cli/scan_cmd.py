"""``stalecreds scan`` and ``stalecreds demo``."""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.cli.common import (
    EXIT_AWS_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    emit,
    emit_html,
    emit_scan,
    handle_errors,
    now,
    refuse_overwriting_inputs,
    refuse_overwriting_report,
    report_failures,
    run_scan,
    scan_errors,
    scan_options,
    scan_request,
    show_warnings,
)
from stalecreds.errors import StalecredsError
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.history.trend import TrendPoint, by_account, sparkline
from stalecreds.report.scan import ReportScan
from stalecreds.rules.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules
from stalecreds.wording import plural

EXIT_CODES_HELP = """\b
Exit codes:
  0  no findings
  1  findings (a working credential is unused, never used or uncertain,
     or the root user has an active access key); 0 with --exit-zero
  2  usage or input error (the message names the file, line and column)
  3  AWS error: the account could not be read, or some lookups failed
     (those credentials are 'unknown' and the result is partial)
  4  partial: some accounts (or report files) could not be scanned; the
     others' results are complete
"""

_FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
    help="table for people; json (the stable contract) or csv for machines.",
)


@click.command(epilog=EXIT_CODES_HELP)
@scan_options
@_FORMAT_OPTION
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the result to FILE (atomically) instead of standard output.",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are findings (errors still exit 2 or 3).",
)
@click.option(
    "--history",
    "history_path",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Record the scan in a SQLite history (default under the user data folder); "
    "see 'stalecreds history'.",
)
def scan(
    output_format: str,
    output: Path | None,
    exit_zero: bool,
    history_path: str | None,
    **options: Any,
) -> None:
    """Judge every console password and access key of an account or a credential report.

    With no --report, scans the AWS account of the default credential chain (or --profile):
    the credential report, with every credential that is not in use re-checked live.

    A credential is unused when it has not been used within the maximum age; one never used is
    judged by when it was created or last set. Findings are credentials that still work and are
    unused, never used, or uncertain (IAM's 2018 gap in recording password use).
    """
    request = scan_request(options)
    refuse_overwriting_report(request, output)
    chosen = OutputFormat(output_format)
    history = None
    if history_path is not None:
        from stalecreds.history.store import history_file

        history = history_file(history_path)
        refuse_overwriting_inputs(output, "--output", {"the history database": history})
    with handle_errors(), run_scan(request) as result:
        if history is not None and isinstance(result, ReportScan):
            result = result.collect()  # read once, for the output and the history
        if history is not None and chosen is OutputFormat.HTML:
            emit_html(result, output, _past_trend(history, result.thresholds))
        else:
            emit_scan(result, chosen, output)
    if history is not None:
        _record_history(result, history)
    _finish(result, output, exit_zero)


def _past_trend(path: Path, thresholds: Thresholds) -> list[TrendPoint] | None:
    """Findings per account of the recorded scans judged with the same maximum ages.

    A trend compares like with like. None (and a warning) if the history is unreadable.
    """
    from stalecreds.history.store import History, HistoryError

    if not path.exists():
        return []
    try:
        with History(path) as history:
            return history.trend(thresholds=thresholds)
    except HistoryError as error:
        click.echo(f"stalecreds: warning: the report has no trend: {error}", err=True)
        return None


def _record_history(result: ScanOutput, path: Path) -> None:
    """Record the scan after its output is written; a history problem is only a warning."""
    from stalecreds.history.store import History, HistoryError

    try:
        with History(path) as history:
            history.record(
                result,
                as_of=result.as_of,
                recorded_at=now(),
                source=result.source.name,
                thresholds=result.thresholds,
            )
    except HistoryError as error:
        click.echo(f"stalecreds: warning: history not recorded: {error}", err=True)
        return
    click.echo(f"stalecreds: recorded in the history {path}", err=True)


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
    import json

    from stalecreds.history.store import History, default_history_path

    path = history_path or default_history_path()
    with handle_errors():
        if not path.exists():
            raise StalecredsError(f"{path}: no history yet; record scans with 'scan --history'")
        with History(path) as history:
            credentials = history.credentials()
            scans = history.scan_findings()
    if output_format == "json":
        text = (
            json.dumps(
                {
                    "credentials": [c._asdict() for c in credentials],
                    "trend": [
                        {
                            "account_id": s.account_id,
                            "as_of": s.as_of.isoformat(),
                            "findings": s.findings,
                            "scan_id": s.scan_id,
                            "max_age_days": None
                            if s.thresholds is None
                            else {
                                "password": s.thresholds.password_days,
                                "access_key": s.thresholds.access_key_days,
                            },
                        }
                        for s in scans
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        emit(lambda out: out.write(text), None, streams=True)
        return
    emit(lambda out: _render_history(credentials, scans, out), None, streams=False)


def _render_history(credentials: list[Any], scans: list[Any], out: IO[str]) -> None:
    """The history as two tables: per credential, and findings per account per scan."""
    from collections import Counter

    from rich.table import Table

    from stalecreds.formats.console import text_console

    console = text_console(out)
    table = Table(title=f"Credentials ({len(credentials)})", title_justify="left")
    for column in ("Account", "User", "Credential", "Latest", "First seen unused", "Resolved"):
        table.add_column(column, overflow="fold")
    for c in credentials:
        which = c.access_key_id or (f"slot {c.slot}" if c.slot else "")
        table.add_row(
            c.account_id,
            c.user,
            f"{c.kind} {which}".strip(),
            c.latest_verdict,
            (c.first_seen_unused or "")[:10],
            "" if c.resolved is None else f"{c.resolved[:10]} ({c.resolution})",
        )
    console.print(table)
    # One sparkline column per scan time of any account; "·" where an account was not scanned.
    # Of several scans of one account at one time, the last recorded one is drawn.
    series = by_account(TrendPoint(s.account_id, s.as_of, s.findings) for s in scans)
    times = sorted({s.as_of for s in scans})
    scan_count = Counter(s.account_id for s in scans)
    span = f", {times[0]:%Y-%m-%d} to {times[-1]:%Y-%m-%d}" if times else ""
    trends = Table(title=f"Findings per scan{span} (· not scanned)", title_justify="left")
    for column in ("Account", "Scans", "Trend", "First", "Latest"):
        trends.add_column(column, overflow="fold")
    for account, points in series.items():
        levels = sparkline([p.findings for p in points])
        drawn = dict(zip([p.as_of for p in points], levels, strict=True))
        first, latest = points[0], points[-1]
        trends.add_row(
            account,
            str(scan_count[account]),
            "".join(drawn.get(moment, "·") for moment in times),
            f"{first.findings} ({first.as_of:%Y-%m-%d})",
            f"{latest.findings} ({latest.as_of:%Y-%m-%d})",
        )
    console.print(trends)


def _unit(failures: tuple[Any, ...]) -> str:
    """``report file`` when every failure is of a report file, else ``account``."""
    return "report file" if all(not f.account.account_id for f in failures) else "account"


def _finish(result: ScanOutput, output: Path | None, exit_zero: bool) -> NoReturn:
    """Show warnings, say where the output went, and exit with the documented code."""
    show_warnings(result)
    summary = result.summary
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({plural(summary.credentials, 'credential')}, "
            f"{plural(summary.findings, 'finding')})",
            err=True,
        )
    failures = report_failures(result)
    if failures:
        click.echo(
            f"stalecreds: {plural(len(failures), _unit(failures))} could not be scanned; "
            "the result is partial",
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    errors = scan_errors(result)
    if errors:
        click.echo(
            f"stalecreds: {plural(len(errors), 'IAM lookup')} failed; those credentials are "
            "'unknown' "
            "(the result is partial)",
            err=True,
        )
        sys.exit(EXIT_AWS_ERROR)
    sys.exit(EXIT_FINDINGS if summary.findings and not exit_zero else EXIT_OK)


@click.command()
@_FORMAT_OPTION
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
        from stalecreds.aws.live_scan import scan_account
        from stalecreds.demo import DEMO_ACCESS_KEY_ID, DEMO_SECRET, local_iam, seed_demo_account

        moment = now()
        with local_iam() as iam:
            seed_demo_account(iam, moment)
            if serve:
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
            rules = VerdictRules(moment, Thresholds(max_age, max_age))
            result = scan_account(iam, rules, LiveScanOptions())
        emit_scan(result, OutputFormat(output_format), None)
    show_warnings(result)
    click.echo(
        "stalecreds: this was a demo account on a local moto server; "
        "run 'stalecreds scan' to scan yours",
        err=True,
    )


@click.command()
@click.argument(
    "inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the merged JSON to FILE (atomically) instead of standard output.",
)
def merge(inputs: tuple[Path, ...], output: Path | None) -> None:
    """Merge JSON results (e.g. of --shard runs) into one JSON document.

    The inputs must share schema_version and max_age_days; the summary is counted again.
    """
    import json

    from stalecreds.formats.merge import load_result, merge_documents

    refuse_overwriting_inputs(output, "--output", {f"the input {path}": path for path in inputs})
    with handle_errors():
        documents = [(str(path), load_result(path)) for path in inputs]
        merged = merge_documents(documents)
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    emit(lambda out: out.write(text), output, streams=True)
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({merged['summary']['credentials']} credentials from "
            f"{len(inputs)} inputs)",
            err=True,
        )
