"""The scan workflow: what to scan and how (:class:`ScanRequest`), and :func:`run_scan`.

One request covers every kind of scan: a credential report file or binary stream (``-`` for
standard input), a folder of report files, the bundled sample, the caller's live account, a list
of accounts (IDs or a file), several profiles, or an AWS Organization (optionally some OUs),
less exclusions and narrowed to a shard. Nothing here imports boto3, click or rich at module
level: a scan of a report file starts fast and loads none of them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import IO

from stalecreds.accounts.parallel import (
    DEFAULT_MAX_WORKERS,
    keep_newest_reports,
    merge,
    scan_accounts,
)
from stalecreds.accounts.selection import (
    Account,
    parse_account_ids,
    parse_shard,
    read_accounts_file,
    select_accounts,
)
from stalecreds.aws.live_options import (
    DEFAULT_ROLE_NAME,
    DEFAULT_TIMEOUT_SECONDS,
    DEFAULT_WORKERS,
    LiveScanOptions,
)
from stalecreds.errors import InputError, RequestError
from stalecreds.formats.base import ScanOutput
from stalecreds.report.input import STDIN_NAME, ReportSource, read_report
from stalecreds.report.scan import ReportScan
from stalecreds.report.split_scan import report_scan
from stalecreds.rules.exemptions import (
    DEFAULT_TAG_KEY,
    Exemptions,
    check_tag_key,
    load_exemptions,
)
from stalecreds.rules.verdicts import DEFAULT_MAX_AGE_DAYS, Thresholds, VerdictRules
from stalecreds.wording import plural
from stalecreds.workflows.progress import QUIET, Observer

SAMPLE_REPORT = "sample-credential-report.json"
"""The bundled sample credential report (``--sample``), in the package's ``data`` folder."""
MAX_WORKERS_LIMIT = 64
"""The most accounts (or report files) scanned at once (``--max-workers``)."""
STREAM_NAME = "<stream>"
"""How a report given as a stream without a ``report_name`` is named in messages."""

_OPTION_NAMES = {
    "profiles": "--profile",
    "region": "--region",
    "source": "--source",
    "report_timeout": "--report-timeout",
    "all_key_ids": "--all-key-ids",
    "recheck": "--recheck",
    "exempt_tag": "--exempt-tag",
    "exclude_accounts": "--exclude-account",
    "role_name": "--role-name",
    "external_id": "--external-id",
    "max_workers": "--max-workers",
    "calls_per_account": "--calls-per-account",
}
"""The fields only a live scan uses (``max_workers`` also sizes a report folder's pool), in the
order they are checked, with the command-line option each is named by in messages."""


def now() -> datetime:
    """The current UTC time, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how; ``ScanRequest()`` scans the account of boto3's credential chain.

    Every field has a default: judged now, with 90-day maximum ages.

    What (at most one of the first three; none means a live scan):

    - ``report``: a credential report file (CSV or ``aws iam get-credential-report`` JSON) as a
      path, ``"-"`` for standard input, a folder of report files (each file one account), or an
      open binary stream (named ``report_name`` in messages, default ``<stream>``);
    - ``sample``: the bundled sample report, judged as of when it was generated;
    - live: ``profiles`` (none: the default chain; one: that profile's account; several: each
      profile's account), ``org`` with optional ``ous`` (every ACTIVE account of the AWS
      Organization, or those under the OUs at any depth), ``accounts`` (12-digit IDs, each
      string may hold several separated by commas) and/or ``accounts_file`` (one ID per line,
      ``#`` comments); less ``exclude_accounts``; ``shard`` ``"K/N"`` takes shard K of N (stable
      by account ID).

    How: ``thresholds`` (maximum ages in days), ``as_of`` (an aware datetime; default now, or the
    sample's generation time), ``exemptions`` (an :class:`Exemptions`) or ``config_path`` (a
    TOML file of ``[[exempt]]`` tables) and ``exempt_tag`` (the IAM user tag that exempts);
    live only: ``source`` (``report`` or ``api``), ``recheck`` (``auto`` or ``always``),
    ``report_timeout`` (seconds to wait for IAM's report), ``all_key_ids``, ``role_name`` and
    ``external_id`` (for ``AssumeRole`` into accounts other than the caller's),
    ``max_workers`` (accounts, or report files of a folder, at once), ``calls_per_account``
    (concurrent IAM calls per account), ``region`` (for signing); ``root_access`` (with
    ``org`` only): also read each member account's root credentials through centralized root
    access (``sts:AssumeRoot``, :mod:`stalecreds.aws.root_scanner`). ``region`` is also the
    region of ASFF findings (:func:`findings_region`). A report folder: ``all_reports`` reads
    every report, even several of one account (by default only the newest of each account is
    read, the others skipped: :func:`~stalecreds.accounts.parallel.keep_newest_reports`).

    :meth:`check` (called by :func:`run_scan`) raises :class:`RequestError` for a request
    that contradicts itself.
    """

    report: str | os.PathLike[str] | IO[bytes] | None = None
    report_name: str | None = None
    sample: bool = False
    as_of: datetime | None = None
    thresholds: Thresholds = field(
        default_factory=lambda: Thresholds(DEFAULT_MAX_AGE_DAYS, DEFAULT_MAX_AGE_DAYS)
    )
    exemptions: Exemptions | None = None
    config_path: Path | None = None
    exempt_tag: str = DEFAULT_TAG_KEY
    profiles: tuple[str, ...] = ()
    region: str | None = None
    source: str = "report"
    report_timeout: float = DEFAULT_TIMEOUT_SECONDS
    recheck: str = "auto"
    all_key_ids: bool = False
    org: bool = False
    ous: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    accounts_file: Path | None = None
    exclude_accounts: tuple[str, ...] = ()
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    max_workers: int = DEFAULT_MAX_WORKERS
    calls_per_account: int = DEFAULT_WORKERS
    shard: str | None = None
    root_access: bool = False
    all_reports: bool = False

    @property
    def live(self) -> bool:
        """True when the scan reads live accounts rather than a report."""
        return not self.sample and self.report is None

    @property
    def single_profile(self) -> str | None:
        """The first (for a single-account scan, the only) profile, if any."""
        return self.profiles[0] if self.profiles else None

    @property
    def many_accounts(self) -> bool:
        """True for an Organization, an account list, or several profiles."""
        return bool(
            self.org or self.ous or self.accounts or self.accounts_file or len(self.profiles) > 1
        )

    @property
    def report_path(self) -> str | None:
        """The report's path as given (``-`` for standard input), or None (stream, sample, live)."""
        if self.report is None or not isinstance(self.report, str | os.PathLike):
            return None
        return os.fspath(self.report)

    @property
    def report_folder(self) -> Path | None:
        """The folder given as ``report``, when it is one."""
        path = self.report_path
        if path is None or path == "-":
            return None
        folder = Path(path)
        return folder if folder.is_dir() else None

    def check(self, *, explicit: Collection[str] = (), offline: Collection[str] = ()) -> None:
        """Raise :class:`RequestError` when the request contradicts itself.

        A live-only field is refused on a report scan when it differs from its default, or when
        it is named in ``explicit`` (the command line names the options given on it, so that
        ``--source report --sample`` is refused too), unless it is named in ``offline`` (``scan
        --format asff`` uses ``region`` for a report too). Messages name command-line options.
        """
        if self.sample and self.report is not None:
            raise RequestError("give either --report or --sample, not both")
        if self.exemptions is not None and self.config_path is not None:
            raise RequestError("give either exemptions or a config path, not both")
        if self.many_accounts and not self.live:
            raise RequestError("--org, --ou, --accounts and several --profile need a live scan")
        if not self.live:
            folder = self.report_folder is not None
            defaults = ScanRequest()
            for name, option in _OPTION_NAMES.items():
                if (folder and name == "max_workers") or name in offline:
                    continue
                if name in explicit or getattr(self, name) != getattr(defaults, name):
                    also = " or --format asff" if name == "region" else ""
                    raise RequestError(
                        f"{option} needs a live scan{also} (it does nothing with --report or "
                        "--sample)"
                    )
        if self.all_reports and self.report_folder is None:
            raise RequestError("--all-reports needs --report FOLDER")
        if self.ous and not self.org:
            raise RequestError("--ou needs --org")
        if self.root_access and not self.org:
            raise RequestError("--root-access needs --org (member accounts of an Organization)")
        listed = bool(self.accounts or self.accounts_file)
        if self.org and listed:
            raise RequestError(
                "give either --org or --accounts/--accounts-file, not both "
                "(narrow --org with --ou or --exclude-account)"
            )
        if len(self.profiles) > 1 and (self.org or listed):
            raise RequestError(
                "several --profile name the accounts themselves: drop --org, --accounts and "
                "--accounts-file"
            )
        if self.shard is not None and not self.many_accounts:
            raise RequestError(
                "--shard splits the accounts of --org, --accounts, --accounts-file or several "
                "--profile"
            )
        if self.shard is not None:
            try:
                parse_shard(self.shard)
            except ValueError as error:
                raise RequestError(str(error)) from None
        # What the command line's option types already guarantee, for library callers.
        if self.source not in ("report", "api"):
            raise RequestError(f"--source must be report or api, not {self.source!r}")
        if self.recheck not in ("auto", "always"):
            raise RequestError(f"--recheck must be auto or always, not {self.recheck!r}")
        if not (1 <= self.max_workers <= MAX_WORKERS_LIMIT and 1 <= self.calls_per_account <= 32):
            raise RequestError(
                f"--max-workers must be 1 to {MAX_WORKERS_LIMIT} and --calls-per-account 1 to 32"
            )
        if self.report_timeout < 1:
            raise RequestError("--report-timeout must be at least 1 second")
        if self.as_of is not None and self.as_of.tzinfo is None:
            raise RequestError("as_of must be an aware datetime (UTC)")
        try:
            check_tag_key(self.exempt_tag)
        except ValueError as error:
            raise RequestError(f"--exempt-tag: {error}") from None

    def overwrites_report(self, output: Path) -> bool:
        """True when writing ``output`` would overwrite or join the reports being read.

        That is the report file itself, or any file in the report folder (the next scan of the
        folder would read it as a report). False when the report cannot be examined (the scan
        then says why).
        """
        path = self.report_path
        if path is None or path == "-":
            return False
        report = Path(path)
        try:
            if report.is_dir():
                return output.resolve().parent == report.resolve()
            return output.exists() and output.samefile(report)
        except OSError:
            return False


@contextlib.contextmanager
def run_scan(request: ScanRequest, observer: Observer | None = None) -> Iterator[ScanOutput]:
    """Run the scan ``request`` asks for and yield its result: a :class:`ScanOutput`.

    A report file or stream is read lazily while the result is iterated, inside the block (it
    stays open there); a large CSV file is split between two processes, with the same result.
    Iterate the result once (``result.collect()`` on a :class:`ReportScan` keeps it). Live and
    folder results are complete when yielded. ``observer`` hears of the wait for IAM's report
    and of each account done; without one, nothing is said.

    Raises :class:`RequestError` (the request contradicts itself, or selects no account),
    :class:`InputError` (a report, config or accounts file cannot be read),
    :class:`ConfigError` (a profile that does not exist), :class:`AwsError` (a live account
    cannot be read). Accounts or report files of a multi-account scan that fail are in the
    result's ``failures``; failed IAM lookups in its ``errors``.
    """
    request.check()
    seen = observer or QUIET
    exemptions = request.exemptions
    if exemptions is None:
        exemptions = (
            Exemptions(tag_key=request.exempt_tag)
            if request.config_path is None
            else load_exemptions(request.config_path, request.exempt_tag)
        )
    folder = request.report_folder
    if folder is not None:
        yield _scan_folder(folder, request, exemptions, seen)
        return
    if request.many_accounts:
        yield _scan_many(request, exemptions, seen)
        return
    if not request.live:
        with open_input(request) as (stream, name), seen.reading(stream):
            lines, source = read_report(stream, name)
            moment = request.as_of or (
                source.generated_time if request.sample and source.generated_time else now()
            )
            rules = VerdictRules(moment, request.thresholds)
            path = request.report_path
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
            seen.report_waiting(state)

    options = _live_options(request, exemptions)
    iam = iam_client(make_session(request.single_profile, request.region))
    rules = VerdictRules(request.as_of or now(), request.thresholds)
    yield scan_account(iam, rules, options, on_wait=on_wait)


@contextlib.contextmanager
def open_input(request: ScanRequest) -> Iterator[tuple[IO[bytes], str]]:
    """Open the request's report (a path, ``-``, a stream, or the bundled sample) as binary.

    Yields the stream and its name for messages. A stream the caller gave is not closed.
    Raises :class:`InputError` for a path that is a folder or cannot be opened.
    """
    if request.sample:
        sample = resources.files("stalecreds").joinpath("data", SAMPLE_REPORT)
        with sample.open("rb") as stream:
            yield stream, f"sample:{SAMPLE_REPORT}"
        return
    path = request.report_path
    if path is None:
        if request.report is None or isinstance(request.report, str | os.PathLike):
            raise RequestError("a live scan has no report to open")
        yield request.report, request.report_name or STREAM_NAME
        return
    if path == "-":
        yield sys.stdin.buffer, STDIN_NAME
        return
    try:
        opened = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except IsADirectoryError:
        raise InputError(path, "is a folder; give a credential report file") from None
    except OSError as error:
        raise InputError(path, str(error.strerror)) from None
    with opened:
        yield opened, path


def findings_region(request: ScanRequest) -> str | None:
    """The Security Hub region of the scan's ASFF findings, or ``None`` for each partition's own.

    ``region``; for a live scan else ``AWS_REGION``, ``AWS_DEFAULT_REGION`` or the profile's
    region. A report's findings follow only ``region``, so that they depend on the file and the
    request alone. Raises :class:`RequestError` for a name that is not a region's.
    """
    from stalecreds.formats.asff import is_region

    region, where = request.region, "--region"
    if region is None and request.live:
        from stalecreds.aws.session import findings_region as session_region

        region = session_region(request.single_profile)
        where = "the region (AWS_REGION, AWS_DEFAULT_REGION or the profile's)"
    if region is not None and not is_region(region):
        raise RequestError(f"{where} {region!r} is not an AWS region name (like eu-west-1)")
    return region


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


def _scan_folder(
    folder: Path, request: ScanRequest, exemptions: Exemptions, observer: Observer
) -> ScanOutput:
    """Each report file of ``folder`` as one account, ``max_workers`` at once, merged."""
    from stalecreds.accounts.scanners import report_file_scanner, report_files

    files = report_files(folder)
    rules = VerdictRules(request.as_of or now(), request.thresholds)
    observer.accounts_started(len(files))
    try:
        outcomes = scan_accounts(
            files,
            report_file_scanner(rules, exemptions, name_files=len(files) > 1),
            workers=request.max_workers,
            step="read",
            on_done=observer.account_done,
        )
    finally:
        observer.accounts_finished()
    if not request.all_reports:
        outcomes = keep_newest_reports(outcomes)
    source = ReportSource(name=f"{folder} ({plural(len(files), 'report')})", format="folder")
    return merge(outcomes, source=source, as_of=rules.as_of, thresholds=rules.thresholds)


def _scan_many(request: ScanRequest, exemptions: Exemptions, observer: Observer) -> ScanOutput:
    """Several profiles, an account list or an Organization, in parallel, merged."""
    from stalecreds.aws.account_scanners import live_account_scanner, profile_scanner
    from stalecreds.aws.organizations import list_accounts
    from stalecreds.aws.session import caller_identity, make_session

    rules = VerdictRules(request.as_of or now(), request.thresholds)
    options = _live_options(request, exemptions)
    shard = None if request.shard is None else parse_shard(request.shard)
    root_note = None
    if len(request.profiles) > 1:
        sessions: dict[str, object] = {}
        accounts: list[Account] = []
        for profile in request.profiles:
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
            accounts = list_accounts(organizations, request.ous)
            label = "organization" + (f" (OUs {', '.join(request.ous)})" if request.ous else "")
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
        if request.root_access:
            from stalecreds.aws.root_scanner import org_root_access

            scan_one, root_note = org_root_access(
                scan_one, base, caller, organizations, rules, exemptions
            )
    excluded = parse_account_ids(request.exclude_accounts, "--exclude-account")
    chosen = select_accounts(accounts, exclude=excluded, shard=shard)
    if not chosen and shard is None:  # an empty shard is a normal, empty result
        raise RequestError(_no_accounts(request, bool(accounts)))
    observer.accounts_started(len(chosen))
    try:
        outcomes = scan_accounts(
            chosen, scan_one, workers=request.max_workers, on_done=observer.account_done
        )
    finally:
        observer.accounts_finished()
    shard_text = "" if request.shard is None else f", shard {request.shard}"
    source = ReportSource(
        name=f"{label}: {len(chosen)} accounts{shard_text}", format="multi-account"
    )
    merged = merge(outcomes, source=source, as_of=rules.as_of, thresholds=rules.thresholds)
    if root_note is not None:
        from stalecreds.aws.root_scanner import warn_first

        merged = warn_first(merged, root_note)
    return merged


def _no_accounts(request: ScanRequest, listed: bool) -> str:
    """Why a multi-account scan has no account to scan, naming the real cause."""
    if listed:
        return "no accounts to scan (after --exclude-account)"
    if request.org:
        where = f" under OUs {', '.join(request.ous)}" if request.ous else ""
        return f"no accounts to scan: the organization has no ACTIVE accounts{where}"
    return "no accounts to scan: the account list is empty"
