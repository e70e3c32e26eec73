"""What the commands share: exit codes, option types, the scan options, running a scan, output.

Nothing here imports boto3 at module level: a scan of a report file must start fast.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO, Any, NamedTuple, NoReturn, TypeVar

import click
from click.core import ParameterSource

from stalecreds.accounts.parallel import merge, scan_accounts
from stalecreds.accounts.selection import (
    Account,
    parse_account_ids,
    parse_shard,
    read_accounts_file,
    select_accounts,
)
from stalecreds.aws.live_options import DEFAULT_TIMEOUT_SECONDS, DEFAULT_WORKERS, LiveScanOptions
from stalecreds.errors import StalecredsError
from stalecreds.files import write_file_atomically, write_stdout_when_complete
from stalecreds.formats import OutputFormat, ScanOutput
from stalecreds.formats.base import printable
from stalecreds.history.trend import TrendPoint
from stalecreds.report.input import STDIN_NAME, ReportSource, read_report
from stalecreds.report.scan import ReportScan
from stalecreds.report.split_scan import report_scan
from stalecreds.rules.exemptions import DEFAULT_TAG_KEY, Exemptions, load_exemptions
from stalecreds.rules.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules
from stalecreds.wording import plural

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_AWS_ERROR = 3
EXIT_PARTIAL = 4
SAMPLE_REPORT = "sample-credential-report.json"
MAX_WARNINGS_SHOWN = 10
MAX_AGE_LIMIT_DAYS = 36_500
"""The largest --max-age: a century (IAM began recording use in 2014)."""

_F = TypeVar("_F", bound=Callable[..., Any])


class Timestamp(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs
    """An ISO 8601 date or time; naive values are taken as UTC."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """Parse ``value`` into an aware UTC datetime, or fail with a usage error."""
        if isinstance(value, datetime):
            return value
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 date or time (e.g. 2025-06-01T00:00:00Z)")
        if not 1970 <= parsed.year <= 9000:
            self.fail(f"{value!r} is outside the years 1970 to 9000")
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``stalecreds: error: message`` to standard error and exit with ``code``."""
    click.echo(f"stalecreds: error: {message}", err=True)
    sys.exit(code)


def now() -> datetime:
    """The current UTC time, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


class ScanRequest(NamedTuple):
    """The scan options of ``scan`` and ``plan``, as given on the command line."""

    report_path: str | None
    sample: bool
    as_of: datetime | None
    thresholds: Thresholds
    config_path: Path | None
    exempt_tag: str
    profile: tuple[str, ...]
    region: str | None
    source: str
    report_timeout: float
    all_key_ids: bool
    recheck: str
    org: bool
    ou: tuple[str, ...]
    accounts: tuple[str, ...]
    accounts_file: Path | None
    exclude_account: tuple[str, ...]
    role_name: str
    external_id: str | None
    max_workers: int
    calls_per_account: int
    shard: str | None

    @property
    def live(self) -> bool:
        """True when the scan reads live accounts rather than report files."""
        return not self.sample and self.report_path is None

    @property
    def single_profile(self) -> str | None:
        """The one ``--profile`` given, if any."""
        return self.profile[0] if self.profile else None

    @property
    def many_accounts(self) -> bool:
        """True for an Organization, an account list, or several profiles."""
        return bool(
            self.org or self.ou or self.accounts or self.accounts_file or len(self.profile) > 1
        )

    @property
    def report_folder(self) -> Path | None:
        """The folder given to ``--report``, when it is one."""
        if self.report_path is None or self.report_path == "-":
            return None
        path = Path(self.report_path)
        return path if path.is_dir() else None


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
        "a cached credential report, skipping reads that cannot change a verdict (auto), or "
        "always, every one.",
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
        default="OrganizationAccountAccessRole",
        show_default=True,
        help="Role assumed in each account other than the caller's (a read-only audit role is "
        "recommended for scans).",
    ),
    click.option("--external-id", help="ExternalId for AssumeRole, when the role requires one."),
    click.option(
        "--max-workers",
        type=click.IntRange(min=1, max=64),
        default=8,
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


_LIVE_ONLY_OPTIONS = (
    "profile",
    "region",
    "source",
    "report_timeout",
    "all_key_ids",
    "recheck",
    "exempt_tag",
    "exclude_account",
    "role_name",
    "external_id",
    "max_workers",
    "calls_per_account",
)
"""Scan options that only a live scan uses (``max_workers`` also sizes a report folder's pool)."""


def _given_live_options(folder: bool) -> list[str]:
    """The live-only options given on the command line, as ``--name``."""
    context = click.get_current_context(silent=True)
    if context is None:
        return []
    return [
        "--" + name.replace("_", "-")
        for name in _LIVE_ONLY_OPTIONS
        if not (folder and name == "max_workers")
        and context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]


def scan_request(options: dict[str, Any]) -> ScanRequest:
    """Build the :class:`ScanRequest` from the scan options' values. Raises click usage errors."""
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
    fields = {name: options[name] for name in ScanRequest._fields if name != "thresholds"}
    request = ScanRequest(thresholds=thresholds, **fields)
    if request.sample and request.report_path is not None:
        raise click.UsageError("give either --report or --sample, not both")
    if request.many_accounts and not request.live:
        raise click.UsageError("--org, --ou, --accounts and several --profile need a live scan")
    if not request.live:
        given = _given_live_options(request.report_folder is not None)
        if given:
            raise click.UsageError(
                f"{given[0]} needs a live scan (it does nothing with --report or --sample)"
            )
    if request.ou and not request.org:
        raise click.UsageError("--ou needs --org")
    listed = bool(request.accounts or request.accounts_file)
    if request.org and listed:
        raise click.UsageError(
            "give either --org or --accounts/--accounts-file, not both "
            "(narrow --org with --ou or --exclude-account)"
        )
    if len(request.profile) > 1 and (request.org or listed):
        raise click.UsageError(
            "several --profile name the accounts themselves: drop --org, --accounts and "
            "--accounts-file"
        )
    if request.shard is not None and not request.many_accounts:
        raise click.UsageError(
            "--shard splits the accounts of --org, --accounts, --accounts-file or several --profile"
        )
    if request.shard is not None:
        try:
            parse_shard(request.shard)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    return request


def refuse_overwriting_report(request: ScanRequest, output: Path | None) -> None:
    """Raise a usage error when ``output`` would overwrite or join the reports being read.

    That is the report file itself, or any file in the report folder (the next scan of the
    folder would read it as a report).
    """
    if output is None or request.report_path in (None, "-"):
        return
    report = Path(request.report_path)
    try:
        if report.is_dir():
            clash = output.resolve().parent == report.resolve()
        else:
            clash = output.exists() and output.samefile(report)
    except OSError:
        return  # the report cannot be read: the scan says so
    if clash:
        raise click.UsageError(f"--output {output} would overwrite or join the reports it reads")


@contextlib.contextmanager
def run_scan(request: ScanRequest) -> Iterator[ScanOutput]:
    """Run the scan ``request`` asks for and yield its result, lazily for report files.

    A report file stays open inside the block. Raises :class:`StalecredsError` (and its
    ``AwsError`` subclass for live scans).
    """
    exemptions = (
        Exemptions(tag_key=request.exempt_tag)
        if request.config_path is None
        else load_exemptions(request.config_path, request.exempt_tag)
    )
    folder = request.report_folder
    if folder is not None:
        yield _scan_folder(folder, request, exemptions)
        return
    if request.many_accounts:
        yield _scan_many(request, exemptions)
        return
    if not request.live:
        path = None if request.sample else request.report_path
        with open_input(path) as (stream, name):
            lines, source = read_report(stream, name)
            moment = request.as_of or (
                source.generated_time if request.sample and source.generated_time else now()
            )
            rules = VerdictRules(moment, request.thresholds)
            if path is None or path == "-":
                yield ReportScan(lines, source, rules, exemptions)
            else:
                yield report_scan(path, stream, lines, source, rules, exemptions)
        return
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.aws.session import iam_client, make_session

    announced: set[str] = set()

    def on_wait(state: str) -> None:
        if state not in announced:
            announced.add(state)
            click.echo(f"stalecreds: waiting for the credential report ({state})", err=True)

    options = _live_options(request, exemptions)
    iam = iam_client(make_session(request.single_profile, request.region))
    rules = VerdictRules(request.as_of or now(), request.thresholds)
    yield scan_account(iam, rules, options, on_wait=on_wait)


def _live_options(request: ScanRequest, exemptions: Exemptions) -> LiveScanOptions:
    """The live-scan options of a request."""
    return LiveScanOptions(
        source=request.source,
        all_key_ids=request.all_key_ids,
        report_timeout=request.report_timeout,
        exemptions=exemptions,
        recheck=request.recheck,
        workers=request.calls_per_account,
    )


def _progress(total: int) -> tuple[Callable[[Account, bool], None], Callable[[], None]]:
    """A progress bar on standard error (only when it is a terminal): accounts done and failed."""
    if not sys.stderr.isatty():
        return (lambda account, ok: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    failed = [0]
    progress = Progress(
        TextColumn("accounts"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("scan", total=total, failed=0)
    progress.start()

    def done(account: Account, ok: bool) -> None:
        failed[0] += 0 if ok else 1
        progress.update(task, advance=1, failed=failed[0])

    return done, progress.stop


def _scan_folder(folder: Path, request: ScanRequest, exemptions: Exemptions) -> ScanOutput:
    from stalecreds.accounts.scanners import report_file_scanner, report_files

    files = report_files(folder)
    rules = VerdictRules(request.as_of or now(), request.thresholds)
    done, stop = _progress(len(files))
    try:
        outcomes = scan_accounts(
            files,
            report_file_scanner(rules, exemptions),
            workers=request.max_workers,
            step="read",
            on_done=done,
        )
    finally:
        stop()
    source = ReportSource(name=f"{folder} ({plural(len(files), 'report')})", format="folder")
    return merge(outcomes, source=source, as_of=rules.as_of, thresholds=rules.thresholds)


def _scan_many(request: ScanRequest, exemptions: Exemptions) -> ScanOutput:
    from stalecreds.accounts.scanners import live_account_scanner, profile_scanner
    from stalecreds.aws.organizations import list_accounts
    from stalecreds.aws.session import caller_identity, make_session

    rules = VerdictRules(request.as_of or now(), request.thresholds)
    options = _live_options(request, exemptions)
    shard = None if request.shard is None else parse_shard(request.shard)
    if len(request.profile) > 1:
        sessions: dict[str, object] = {}
        accounts: list[Account] = []
        for profile in request.profile:
            session = make_session(profile, request.region)
            sessions[profile] = session
            accounts.append(Account(caller_identity(session).account_id, profile))
        scan_one = profile_scanner(sessions, rules, options)
        label = f"{len(accounts)} profiles"
    else:
        base = make_session(request.single_profile, request.region)
        caller = caller_identity(base)
        if request.org:
            from stalecreds.aws.session import CLIENT_CONFIG

            organizations = base.client("organizations", config=CLIENT_CONFIG)
            accounts = list_accounts(organizations, request.ou)
            label = "organization" + (f" (OUs {', '.join(request.ou)})" if request.ou else "")
        else:
            ids = parse_account_ids(request.accounts)
            if request.accounts_file is not None:
                ids += [i for i in read_accounts_file(request.accounts_file) if i not in ids]
            accounts = [Account(i) for i in ids]
            label = "accounts"
        scan_one = live_account_scanner(
            base,
            caller,
            rules,
            options,
            role_name=request.role_name,
            external_id=request.external_id,
        )
    excluded = parse_account_ids(request.exclude_account, "--exclude-account")
    chosen = select_accounts(accounts, exclude=excluded, shard=shard)
    if not chosen and shard is None:  # an empty shard is a normal, empty result
        raise StalecredsError("no accounts to scan (after --exclude-account)")
    done, stop = _progress(len(chosen))
    try:
        outcomes = scan_accounts(chosen, scan_one, workers=request.max_workers, on_done=done)
    finally:
        stop()
    shard_text = "" if request.shard is None else f", shard {request.shard}"
    source = ReportSource(
        name=f"{label}: {len(chosen)} accounts{shard_text}", format="multi-account"
    )
    return merge(outcomes, source=source, as_of=rules.as_of, thresholds=rules.thresholds)


def exit_code_for_aws(error: StalecredsError) -> int:
    """3 for AWS errors, 2 for everything else."""
    from stalecreds.errors import AwsError

    return EXIT_AWS_ERROR if isinstance(error, AwsError) else EXIT_USAGE


def emit(render: Callable[[IO[str]], object], output: Path | None, *, streams: bool) -> None:
    """Write with ``render`` to ``output`` atomically, or to standard output only once complete.

    ``streams`` is false for renderers that read everything before writing (the table), which
    then write straight to the terminal.
    """
    try:
        if output is not None:
            write_file_atomically(output, render)
        elif streams:
            write_stdout_when_complete(sys.stdout, render)
        else:
            render(sys.stdout)
            sys.stdout.flush()
    except BrokenPipeError:
        if output is not None:
            fail(f"{output}: Broken pipe")
        # The reader of standard output stopped reading (``| head``): not an error of the scan,
        # which still ends with its own exit code. Later writes go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as error:
        fail(f"{error.filename or output or 'output'}: {error.strerror or error}")


def emit_scan(result: ScanOutput, chosen: OutputFormat, output: Path | None) -> None:
    """Render a scan result in the chosen format."""
    renderer = chosen.renderer()
    emit(lambda out: renderer(result, out), output, streams=chosen.streams)  # type: ignore[arg-type]


def emit_html(result: ScanOutput, output: Path | None, history: list[TrendPoint] | None) -> None:
    """Render a scan as the HTML report, with findings over time when ``history`` is given."""
    from stalecreds.formats.html import render_html

    emit(lambda out: render_html(result, out, history=history), output, streams=False)  # type: ignore[arg-type]


def show_warnings(result: ScanOutput) -> None:
    """Print the first warnings of a scan to standard error, and how many more there are."""
    log = result.warnings
    # Warnings of several accounts or report files name their own (multi_account.merge).
    label = "" if result.source.format in ("folder", "multi-account") else result.source.label
    for warning in log.items[:MAX_WARNINGS_SHOWN]:
        where = f"{label}, line {warning.line}" if warning.line is not None else label
        text = f"{where}: {warning.message}" if where else warning.message
        click.echo(f"stalecreds: warning: {printable(text)}", err=True)
    hidden = len(log) - min(len(log.items), MAX_WARNINGS_SHOWN)
    if hidden:
        click.echo(
            f"stalecreds: warning: {plural(hidden, 'more warning')} (listed in the JSON output)",
            err=True,
        )


def report_failures(result: ScanOutput) -> tuple[Any, ...]:
    """Print each account (step, call, code) or report file that could not be scanned.

    Returns them.
    """
    failures: tuple[Any, ...] = getattr(result, "failures", ())
    for outcome in failures:
        failure = outcome.failure
        if not outcome.account.account_id:  # a report file: its error names it, line and column
            click.echo(f"stalecreds: error: {printable(failure.message)}", err=True)
            continue
        name = f" ({outcome.account.name})" if outcome.account.name else ""
        click.echo(
            f"stalecreds: account {outcome.account.account_id}{name} failed at "
            f"{failure.step}: {failure.action} {failure.code}: {failure.message}",
            err=True,
        )
    return failures


def scan_errors(result: ScanOutput) -> tuple[str, ...]:
    """The failed IAM lookups of a live scan (none for a report file)."""
    errors: tuple[str, ...] = getattr(result, "errors", ())
    return errors


@contextlib.contextmanager
def open_input(path: str | None) -> Iterator[tuple[IO[bytes], str]]:
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
        fail(f"{path}: is a folder; give a credential report file")
    except OSError as error:
        fail(f"{path}: {error.strerror}")
    with stream:
        yield stream, path


@contextlib.contextmanager
def handle_errors() -> Iterator[None]:
    """Turn :class:`StalecredsError` into one line on standard error and exit 2 (3 for AWS)."""
    try:
        yield
    except StalecredsError as error:
        fail(str(error), exit_code_for_aws(error))
