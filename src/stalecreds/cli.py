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
from stalecreds.formats import OutputFormat
from stalecreds.output import write_file_atomically, write_stdout_when_complete
from stalecreds.report_input import STDIN_NAME, read_report
from stalecreds.scan import ReportScan
from stalecreds.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
SAMPLE_REPORT = "sample-credential-report.json"
MAX_WARNINGS_SHOWN = 10

EXIT_CODES_HELP = """\b
Exit codes:
  0  no findings
  1  findings (a working credential is unused, never used or uncertain,
     or the root user has an active access key); 0 with --exit-zero
  2  usage or input error (the message names the file, line and column)
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
    help="Credential report to scan: a CSV, the JSON of 'aws iam get-credential-report', "
    "or - for standard input.",
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
    "--exit-zero",
    is_flag=True,
    help="Exit 0 even when there are findings (errors still exit 2).",
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
    exit_zero: bool,
) -> None:
    """Judge every console password and access key in a credential report.

    A credential is unused when it has not been used within the maximum age; one never used is
    judged by when it was created or last set. Findings are credentials that still work and are
    unused, never used, or uncertain (IAM's 2018 gap in recording password use).
    """
    if sample and report_path is not None:
        raise click.UsageError("give either --report or --sample, not both")
    if not sample and report_path is None:
        raise click.UsageError(
            "give --report FILE (or --sample); scanning a live account is not available yet"
        )
    thresholds = Thresholds(password_max_age or max_age, key_max_age or max_age)
    chosen = OutputFormat(output_format)
    try:
        with _open_input(report_path) as (stream, name):
            lines, source = read_report(stream, name)
            moment = as_of or (
                source.generated_time if sample and source.generated_time else datetime.now(UTC)
            )
            report_scan = ReportScan(lines, source, VerdictRules(moment, thresholds))
            render = chosen.renderer()
            if output is not None:
                write_file_atomically(output, lambda out: render(report_scan, out))
            elif chosen.streams:
                write_stdout_when_complete(sys.stdout, lambda out: render(report_scan, out))
            else:
                render(report_scan, sys.stdout)
    except StalecredsError as error:
        _fail(str(error))
    except OSError as error:
        _fail(f"{error.filename or 'output'}: {error.strerror or error}")
    _show_warnings(report_scan)
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({report_scan.summary.credentials} credentials, "
            f"{report_scan.summary.findings} findings)",
            err=True,
        )
    sys.exit(EXIT_FINDINGS if report_scan.summary.findings and not exit_zero else EXIT_OK)


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


def _show_warnings(report_scan: ReportScan) -> None:
    log = report_scan.warnings
    label = report_scan.source.label
    for warning in log.items[:MAX_WARNINGS_SHOWN]:
        where = f"{label}, line {warning.line}" if warning.line is not None else label
        click.echo(f"stalecreds: warning: {where}: {warning.message}", err=True)
    hidden = len(log) - min(len(log.items), MAX_WARNINGS_SHOWN)
    if hidden:
        click.echo(
            f"stalecreds: warning: {hidden} more warnings (listed in the JSON output)", err=True
        )
