"""The ``stalecreds`` command line: parse options, run the library, choose the exit code.

Exit codes: 0 no findings, 1 findings, 2 usage or input error.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any, NoReturn

import click

from stalecreds import __version__
from stalecreds.errors import StalecredsError
from stalecreds.exemptions import DEFAULT_TAG_KEY, Exemptions, load_exemptions
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.live_options import DEFAULT_TIMEOUT_SECONDS, LiveScanOptions
from stalecreds.output import write_file_atomically, write_stdout_when_complete
from stalecreds.report_input import STDIN_NAME, read_report
from stalecreds.scan import ReportScan
from stalecreds.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_AWS_ERROR = 3
SAMPLE_REPORT = "sample-credential-report.json"
MAX_WARNINGS_SHOWN = 10

EXIT_CODES_HELP = """\b
Exit codes:
  0  no findings
  1  findings (a working credential is unused, never used or uncertain,
     or the root user has an active access key); 0 with --exit-zero
  2  usage or input error (the message names the file, line and column)
  3  AWS error: the account could not be read, or some lookups failed
     (those credentials are 'unknown' and the result is partial)
"""


class _Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs
    """An ISO 8601 date or time; naive values are taken as UTC."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date or time (e.g. 2025-06-01T00:00:00Z)")
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _fail(message: str) -> NoReturn:
    click.echo(f"stalecreds: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="stalecreds")
def main() -> None:
    """Find unused AWS IAM console passwords and access keys."""


@main.command(epilog=EXIT_CODES_HELP)
@click.option(
    "--report",
    "report_path",
    metavar="FILE",
    help="Scan this credential report instead of a live account: a CSV, the JSON of "
    "'aws iam get-credential-report', or - for standard input.",
)
@click.option(
    "--sample",
    is_flag=True,
    help="Scan the bundled sample credential report, as of when it was generated.",
)
@click.option(
    "--as-of",
    type=_Timestamp(),
    help="Judge credentials as of this UTC time (ISO 8601). Default: now.",
)
@click.option(
    "--max-age",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_AGE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="A credential not used for more days than this is unused (CIS asks for 45).",
)
@click.option(
    "--password-max-age",
    type=click.IntRange(min=1),
    metavar="DAYS",
    help="Maximum age for console passwords. Default: --max-age.",
)
@click.option(
    "--key-max-age",
    type=click.IntRange(min=1),
    metavar="DAYS",
    help="Maximum age for access keys. Default: --max-age.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
    help="table for people; json (the stable contract) or csv for machines.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Write the result to FILE (atomically) instead of standard output.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="TOML file of exemptions: [[exempt]] tables with user, arn or path globs and a reason.",
)
@click.option(
    "--exempt-tag",
    default=DEFAULT_TAG_KEY,
    show_default=True,
    metavar="KEY",
    help="IAM user tag that exempts a user from findings (its value is the reason). Live only.",
)
@click.option("--profile", help="AWS profile for a live scan. Default: boto3's credential chain.")
@click.option("--region", help="AWS region for the IAM endpoint's signing. Default: boto3's.")
@click.option(
    "--source",
    type=click.Choice(["report", "api"]),
    default="report",
    show_default=True,
    help="Live data: the credential report re-checked through the API, or the API alone "
    "(for principals not allowed to generate a report).",
)
@click.option(
    "--report-timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for IAM to generate the credential report.",
)
@click.option(
    "--all-key-ids",
    is_flag=True,
    help="Look up the ID of every access key, not only of keys that are not in use.",
)
@click.option(
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are findings (errors still exit 2 or 3).",
)
def scan(
    report_path: str | None,
    sample: bool,
    as_of: datetime | None,
    max_age: int,
    password_max_age: int | None,
    key_max_age: int | None,
    output_format: str,
    output: Path | None,
    config_path: Path | None,
    exempt_tag: str,
    profile: str | None,
    region: str | None,
    source: str,
    report_timeout: float,
    all_key_ids: bool,
    exit_zero: bool,
) -> None:
    """Judge every console password and access key of an account or a credential report.

    With no --report, scans the AWS account of the default credential chain (or --profile):
    the credential report, with every credential that is not in use re-checked live.

    A credential is unused when it has not been used within the maximum age; one never used is
    judged by when it was created or last set. Findings are credentials that still work and are
    unused, never used, or uncertain (IAM's 2018 gap in recording password use).
    """
    if sample and report_path is not None:
        raise click.UsageError("give either --report or --sample, not both")
    thresholds = Thresholds(password_max_age or max_age, key_max_age or max_age)
    chosen = OutputFormat(output_format)
    try:
        exemptions = (
            Exemptions(tag_key=exempt_tag)
            if config_path is None
            else load_exemptions(config_path, exempt_tag)
        )
        if sample or report_path is not None:
            _scan_report_file(
                None if sample else report_path,
                sample,
                as_of,
                thresholds,
                exemptions,
                chosen,
                output,
                exit_zero,
            )
        options = LiveScanOptions(
            source=source,
            all_key_ids=all_key_ids,
            report_timeout=report_timeout,
            exemptions=exemptions,
        )
        _scan_live(profile, region, as_of, thresholds, options, chosen, output, exit_zero)
    except StalecredsError as error:
        _fail(str(error))


def _emit(result: ScanOutput, chosen: OutputFormat, output: Path | None) -> None:
    """Render ``result`` to ``output`` (atomically) or standard output (only once complete)."""
    render = chosen.renderer()
    try:
        if output is not None:
            write_file_atomically(output, lambda out: render(result, out))
        elif chosen.streams:
            write_stdout_when_complete(sys.stdout, lambda out: render(result, out))
        else:
            render(result, sys.stdout)
    except OSError as error:
        _fail(f"{error.filename or output or 'output'}: {error.strerror or error}")


def _finish(result: ScanOutput, output: Path | None, exit_zero: bool, errors: int = 0) -> NoReturn:
    """Show warnings, say where the output went, and exit with the documented code."""
    _show_warnings(result)
    summary = result.summary
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({summary.credentials} credentials, "
            f"{summary.findings} findings)",
            err=True,
        )
    if errors:
        click.echo(
            f"stalecreds: {errors} IAM lookups failed; those credentials are 'unknown' "
            "(the result is partial)",
            err=True,
        )
        sys.exit(EXIT_AWS_ERROR)
    sys.exit(EXIT_FINDINGS if summary.findings and not exit_zero else EXIT_OK)


def _scan_report_file(
    report_path: str | None,
    sample: bool,
    as_of: datetime | None,
    thresholds: Thresholds,
    exemptions: Exemptions,
    chosen: OutputFormat,
    output: Path | None,
    exit_zero: bool,
) -> NoReturn:
    with _open_input(report_path) as (stream, name):
        lines, source = read_report(stream, name)
        moment = as_of or (
            source.generated_time if sample and source.generated_time else datetime.now(UTC)
        )
        report_scan = ReportScan(lines, source, VerdictRules(moment, thresholds), exemptions)
        _emit(report_scan, chosen, output)
    _finish(report_scan, output, exit_zero)


def _scan_live(
    profile: str | None,
    region: str | None,
    as_of: datetime | None,
    thresholds: Thresholds,
    options: LiveScanOptions,
    chosen: OutputFormat,
    output: Path | None,
    exit_zero: bool,
) -> NoReturn:
    from stalecreds.aws import AwsError, iam_client, make_session
    from stalecreds.live_scan import scan_account

    announced: set[str] = set()

    def on_wait(state: str) -> None:
        if state not in announced:
            announced.add(state)
            click.echo(f"stalecreds: waiting for the credential report ({state})", err=True)

    try:
        iam = iam_client(make_session(profile, region))
        rules = VerdictRules(as_of or datetime.now(UTC).replace(microsecond=0), thresholds)
        result = scan_account(iam, rules, options, on_wait=on_wait)
    except AwsError as error:
        click.echo(f"stalecreds: error: {error}", err=True)
        sys.exit(EXIT_AWS_ERROR)
    _emit(result, chosen, output)
    _finish(result, output, exit_zero, len(result.errors))


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TABLE.value,
    show_default=True,
    help="table for people; json or csv for machines.",
)
@click.option(
    "--max-age",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_AGE_DAYS,
    show_default=True,
    metavar="DAYS",
    help="A credential not used for more days than this is unused.",
)
def demo(output_format: str, max_age: int) -> None:
    """Scan a realistic demo account on a local moto IAM server (no AWS account needed).

    Needs the demo extra: pip install 'stalecreds[demo]'. Exits 0 unless the demo itself fails.
    """
    try:
        from stalecreds.demo import local_iam, seed_demo_account
        from stalecreds.live_scan import scan_account

        now = datetime.now(UTC).replace(microsecond=0)
        with local_iam() as iam:
            seed_demo_account(iam, now)
            rules = VerdictRules(now, Thresholds(max_age, max_age))
            result = scan_account(iam, rules, LiveScanOptions())
        _emit(result, OutputFormat(output_format), None)
    except StalecredsError as error:
        _fail(str(error))
    _show_warnings(result)
    click.echo(
        "stalecreds: this was a demo account on a local moto server; "
        "run 'stalecreds scan' to scan yours",
        err=True,
    )


@contextlib.contextmanager
def _open_input(path: str | None) -> Iterator[tuple[IO[bytes], str]]:
    """Open ``--report`` (a path, ``-``, or the bundled sample when ``None``) as binary."""
    if path is None:
        sample = resources.files("stalecreds").joinpath("data", SAMPLE_REPORT)
        with sample.open("rb") as stream:
            yield stream, f"sample:{SAMPLE_REPORT}"
        return
    if path == "-":
        yield sys.stdin.buffer, STDIN_NAME
        return
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except IsADirectoryError:
        _fail(f"{path}: is a folder; give a credential report file")
    except OSError as error:
        _fail(f"{path}: {error.strerror}")
    with stream:
        yield stream, path


def _show_warnings(result: ScanOutput) -> None:
    log = result.warnings
    label = result.source.label
    for warning in log.items[:MAX_WARNINGS_SHOWN]:
        where = f"{label}, line {warning.line}" if warning.line is not None else label
        click.echo(f"stalecreds: warning: {where}: {warning.message}", err=True)
    hidden = len(log) - min(len(log.items), MAX_WARNINGS_SHOWN)
    if hidden:
        click.echo(
            f"stalecreds: warning: {hidden} more warnings (listed in the JSON output)", err=True
        )
