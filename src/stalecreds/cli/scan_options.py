"""The scan options of ``scan`` and ``plan``, turned into a library :class:`ScanRequest`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from stalecreds.accounts.parallel import DEFAULT_MAX_WORKERS
from stalecreds.aws.live_options import DEFAULT_ROLE_NAME, DEFAULT_TIMEOUT_SECONDS, DEFAULT_WORKERS
from stalecreds.cli.common import Timestamp
from stalecreds.errors import RequestError
from stalecreds.rules.exemptions import DEFAULT_TAG_KEY
from stalecreds.rules.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds
from stalecreds.workflows.scan import MAX_WORKERS_LIMIT, ScanRequest

MAX_AGE_LIMIT_DAYS = 36_500
"""The largest --max-age: a century (IAM began recording use in 2014)."""

_F = TypeVar("_F", bound=Callable[..., Any])

_SCAN_OPTIONS = [
    click.option(
        "--report",
        "report_path",
        multiple=True,  # to refuse a second one rather than silently keep the last
        metavar="FILE",
        help="Scan this credential report instead of a live account: a CSV, the JSON of "
        "'aws iam get-credential-report', or - for standard input.",
    ),
    click.option(
        "--sample",
        is_flag=True,
        help="Scan the bundled sample credential report, as of when it was generated.",
    ),
    click.option(
        "--as-of",
        type=Timestamp(),
        help="Judge credentials as of this UTC time (ISO 8601). Default: now.",
    ),
    click.option(
        "--max-age",
        type=click.IntRange(min=1, max=MAX_AGE_LIMIT_DAYS),
        default=DEFAULT_MAX_AGE_DAYS,
        show_default=True,
        metavar="DAYS",
        help="A credential not used for more days than this is unused (CIS asks for 45).",
    ),
    click.option(
        "--password-max-age",
        type=click.IntRange(min=1, max=MAX_AGE_LIMIT_DAYS),
        metavar="DAYS",
        help="Maximum age for console passwords. Default: --max-age.",
    ),
    click.option(
        "--key-max-age",
        type=click.IntRange(min=1, max=MAX_AGE_LIMIT_DAYS),
        metavar="DAYS",
        help="Maximum age for access keys. Default: --max-age.",
    ),
    click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE",
        help="TOML file of exemptions: [[exempt]] tables with a user, arn or path glob and a "
        "reason.",
    ),
    click.option(
        "--exempt-tag",
        default=DEFAULT_TAG_KEY,
        show_default=True,
        metavar="KEY",
        help="IAM user tag that exempts a user from findings (its value is the reason).",
    ),
    click.option(
        "--profile",
        multiple=True,
        help="AWS profile (repeat to scan several accounts). Default: boto3's credential chain.",
    ),
    click.option("--region", help="AWS region for signing. Default: boto3's."),
    click.option(
        "--source",
        type=click.Choice(["report", "api"]),
        default="report",
        show_default=True,
        help="Live data: the credential report re-checked through the API, or the API alone "
        "(for principals not allowed to generate a report).",
    ),
    click.option(
        "--report-timeout",
        type=click.FloatRange(min=1),
        default=DEFAULT_TIMEOUT_SECONDS,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for IAM to generate the credential report.",
    ),
    click.option(
        "--recheck",
        type=click.Choice(["auto", "always"]),
        default="auto",
        show_default=True,
        help="Re-read the last use of each credential that is not in use: only when IAM served "
        "a cached credential report (auto), or always.",
    ),
    click.option("--org", is_flag=True, help="Scan every ACTIVE account of the AWS Organization."),
    click.option(
        "--ou",
        multiple=True,
        metavar="OU_ID",
        help="With --org: only accounts under this organizational unit, at any depth (repeat).",
    ),
    click.option(
        "--accounts",
        multiple=True,
        metavar="IDS",
        help="Scan these accounts (comma-separated 12-digit IDs; repeat).",
    ),
    click.option(
        "--accounts-file",
        type=click.Path(dir_okay=False, exists=True, path_type=Path),
        metavar="FILE",
        help="Scan the accounts listed in FILE (one per line, # comments).",
    ),
    click.option(
        "--exclude-account",
        multiple=True,
        metavar="ID",
        help="Leave this account out (repeat).",
    ),
    click.option(
        "--role-name",
        default=DEFAULT_ROLE_NAME,
        show_default=True,
        help="Role assumed in each account other than the caller's (a read-only audit role is "
        "recommended for scans).",
    ),
    click.option("--external-id", help="ExternalId for AssumeRole, when the role requires one."),
    click.option(
        "--max-workers",
        type=click.IntRange(min=1, max=MAX_WORKERS_LIMIT),
        default=DEFAULT_MAX_WORKERS,
        show_default=True,
        help="Accounts scanned at once.",
    ),
    click.option(
        "--calls-per-account",
        type=click.IntRange(min=1, max=32),
        default=DEFAULT_WORKERS,
        show_default=True,
        metavar="N",
        help="Concurrent IAM calls per account (botocore's adaptive retries slow them down "
        "when IAM throttles).",
    ),
    click.option(
        "--shard",
        metavar="K/N",
        help="Scan only shard K of N of the accounts (stable by account ID), e.g. for a CI "
        "matrix; combine the JSON results with 'stalecreds merge'.",
    ),
    click.option(
        "--all-key-ids",
        is_flag=True,
        help="Look up the ID of every access key, not only of keys that are not in use.",
    ),
]


def scan_options(command: _F) -> _F:
    """Add the scan options to a command, which takes them as ``**options``.

    Turn them into a :class:`ScanRequest` with :func:`scan_request`.
    """
    for option in reversed(_SCAN_OPTIONS):
        command = option(command)
    return command


_FIELDS = {
    "report_path": "report",
    "sample": "sample",
    "as_of": "as_of",
    "config_path": "config_path",
    "exempt_tag": "exempt_tag",
    "profile": "profiles",
    "region": "region",
    "source": "source",
    "report_timeout": "report_timeout",
    "all_key_ids": "all_key_ids",
    "recheck": "recheck",
    "org": "org",
    "ou": "ous",
    "accounts": "accounts",
    "accounts_file": "accounts_file",
    "exclude_account": "exclude_accounts",
    "role_name": "role_name",
    "external_id": "external_id",
    "max_workers": "max_workers",
    "calls_per_account": "calls_per_account",
    "shard": "shard",
}
"""Each scan option's parameter name, and the :class:`ScanRequest` field it sets."""


def _given() -> list[str]:
    """The request fields whose options were given on the command line."""
    context = click.get_current_context(silent=True)
    if context is None:
        return []
    return [
        field
        for name, field in _FIELDS.items()
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]


def scan_request(options: dict[str, Any]) -> ScanRequest:
    """The :class:`ScanRequest` of the scan options' values; a contradiction is a usage error."""
    max_age = options["max_age"]
    thresholds = Thresholds(
        options["password_max_age"] or max_age, options["key_max_age"] or max_age
    )
    reports = options["report_path"]
    if len(reports) > 1:
        raise click.UsageError(
            "give --report once; to scan several reports, put them in a folder and give "
            "--report FOLDER"
        )
    options = {**options, "report_path": reports[0] if reports else None}
    fields = {field: options[name] for name, field in _FIELDS.items()}
    request = ScanRequest(thresholds=thresholds, **fields)
    try:
        request.check(explicit=_given())
    except RequestError as error:
        raise click.UsageError(str(error)) from None
    return request


def refuse_overwriting_report(request: ScanRequest, output: Path | None) -> None:
    """Raise a usage error when ``output`` would overwrite or join the reports being read."""
    if output is not None and request.overwrites_report(output):
        raise click.UsageError(f"--output {output} would overwrite or join the reports it reads")
