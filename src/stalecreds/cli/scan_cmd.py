"""``stalecreds scan`` and ``stalecreds demo``."""

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
    emit,
    emit_scan,
    handle_errors,
    now,
    run_scan,
    scan_errors,
    scan_options,
    scan_request,
    show_warnings,
)
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.live_options import LiveScanOptions
from stalecreds.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules

EXIT_CODES_HELP = """\\b
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
def scan(output_format: str, output: Path | None, exit_zero: bool, **options: Any) -> None:
    """Judge every console password and access key of an account or a credential report.

    With no --report, scans the AWS account of the default credential chain (or --profile):
    the credential report, with every credential that is not in use re-checked live.

    A credential is unused when it has not been used within the maximum age; one never used is
    judged by when it was created or last set. Findings are credentials that still work and are
    unused, never used, or uncertain (IAM's 2018 gap in recording password use).
    """
    request = scan_request(options)
    with handle_errors(), run_scan(request) as result:
        emit_scan(result, OutputFormat(output_format), output)
    _finish(result, output, exit_zero)


def _finish(result: ScanOutput, output: Path | None, exit_zero: bool) -> NoReturn:
    """Show warnings, say where the output went, and exit with the documented code."""
    show_warnings(result)
    summary = result.summary
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({summary.credentials} credentials, "
            f"{summary.findings} findings)",
            err=True,
        )
    failures = getattr(result, "failures", ())
    for outcome in failures:
        failure = outcome.failure
        name = f" ({outcome.account.name})" if outcome.account.name else ""
        click.echo(
            f"stalecreds: account {outcome.account.account_id or '?'}{name} failed at "
            f"{failure.step}: {failure.action} {failure.code}: {failure.message}",
            err=True,
        )
    if failures:
        click.echo(
            f"stalecreds: {len(failures)} accounts could not be scanned; the result is partial",
            err=True,
        )
        sys.exit(EXIT_PARTIAL)
    errors = scan_errors(result)
    if errors:
        click.echo(
            f"stalecreds: {len(errors)} IAM lookups failed; those credentials are 'unknown' "
            "(the result is partial)",
            err=True,
        )
        sys.exit(EXIT_AWS_ERROR)
    sys.exit(EXIT_FINDINGS if summary.findings and not exit_zero else EXIT_OK)


@click.command()
@_FORMAT_OPTION
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
    with handle_errors():
        from stalecreds.demo import local_iam, seed_demo_account
        from stalecreds.live_scan import scan_account

        moment = now()
        with local_iam() as iam:
            seed_demo_account(iam, moment)
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

    from stalecreds.errors import InputError
    from stalecreds.merge import merge_documents

    documents = []
    with handle_errors():
        for path in inputs:
            try:
                documents.append((str(path), json.loads(path.read_text(encoding="utf-8"))))
            except json.JSONDecodeError as error:
                raise InputError(
                    str(path), f"not valid JSON: {error.msg}", line=error.lineno, column=error.colno
                ) from None
            except (OSError, UnicodeDecodeError) as error:
                raise InputError(str(path), f"cannot read it: {error}") from None
        merged = merge_documents(documents)
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    emit(lambda out: out.write(text), output, streams=True)
    if output is not None:
        click.echo(
            f"stalecreds: wrote {output} ({merged['summary']['credentials']} credentials from "
            f"{len(inputs)} inputs)",
            err=True,
        )
