"""``stalecreds scan``: options to a request, the library's scan, rendering, the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from stalecreds.cli.common import (
    EXIT_AWS_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_PARTIAL,
    emit_html,
    emit_scan,
    handle_errors,
    note,
    report_failures,
    scan_errors,
    show_warnings,
    stdout_if_dash,
)
from stalecreds.cli.progress import TerminalObserver
from stalecreds.cli.scan_options import refuse_overwriting_report, scan_options, scan_request
from stalecreds.errors import HistoryError
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.history.trend import TrendPoint
from stalecreds.report.scan import ReportScan
from stalecreds.rules.verdicts import Thresholds
from stalecreds.wording import plural
from stalecreds.workflows.scan import run_scan

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

FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
    help="table for people; json (the stable contract) or csv for machines.",
)


@click.command(epilog=EXIT_CODES_HELP)
@scan_options
@FORMAT_OPTION
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    callback=stdout_if_dash,
    help="Write the result to FILE (atomically) instead of standard output (- for it).",
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
    with handle_errors(), run_scan(request, TerminalObserver()) as result:
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
    """The library's trend for the HTML report; None (and a warning) if it is unreadable."""
    from stalecreds.workflows.history import past_trend

    try:
        return past_trend(path, thresholds)
    except HistoryError as error:
        click.echo(f"stalecreds: warning: the report has no trend: {error}", err=True)
        return None


def _record_history(result: ScanOutput, path: Path) -> None:
    """Record the scan after its output is written; a history problem is only a warning."""
    from stalecreds.workflows.history import record_scan

    try:
        record_scan(result, path)
    except HistoryError as error:
        click.echo(f"stalecreds: warning: history not recorded: {error}", err=True)
        return
    note(f"recorded in the history {path}")


def _unit(failures: tuple[Any, ...]) -> str:
    """``report file`` when every failure is of a report file, else ``account``."""
    return "report file" if all(not f.account.account_id for f in failures) else "account"


def _finish(result: ScanOutput, output: Path | None, exit_zero: bool) -> NoReturn:
    """Show warnings, say where the output went, and exit with the documented code."""
    show_warnings(result)
    summary = result.summary
    if output is not None:
        note(
            f"wrote {output} ({plural(summary.credentials, 'credential')}, "
            f"{plural(summary.findings, 'finding')})"
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
