"""Get a fresh credential report from IAM: generate, wait with backoff, download.

IAM builds the report asynchronously (``GenerateCredentialReport`` answers ``STARTED``, then
``INPROGRESS``, then ``COMPLETE``) and serves a cached one for up to four hours. Error codes and
what we do (``shared/spec/credential-report.md`` §5, §7):

* ``ReportNotPresent`` / ``ReportExpired`` (410) from ``GetCredentialReport``: generate again;
* ``ReportInProgress`` (404): wait, then get again;
* ``Throttling`` and ``LimitExceeded`` ("No more capacity to launch new report generation
  tasks", 409; botocore does not retry it): wait, then try again.

Waits double from 0.25 s up to 16 s and never pass the overall deadline (``timeout``); past it, an
:class:`~stalecreds.errors.AwsError` with code ``Timeout``. Anything else fails at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from stalecreds.aws.live_options import DEFAULT_TIMEOUT_SECONDS
from stalecreds.aws.session import aws_errors
from stalecreds.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

FIRST_WAIT_SECONDS = 0.25
MAX_WAIT_SECONDS = 16.0
_REGENERATE = frozenset({"ReportNotPresent", "ReportExpired"})
_WAIT = frozenset({"ReportInProgress", "Throttling", "ThrottlingException", "LimitExceeded"})


class FetchedReport(NamedTuple):
    """A downloaded credential report: the CSV bytes and IAM's ``GeneratedTime`` (aware UTC).

    ``fresh`` is true when a ``GenerateCredentialReport`` of this fetch answered ``STARTED`` or
    ``INPROGRESS`` (IAM is building a new report), rather than ``COMPLETE`` at once (a cached
    report, up to four hours old).
    """

    content: bytes
    generated_time: datetime
    fresh: bool = False


def fetch_credential_report(
    iam: IAMClient,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_wait: Callable[[str], None] | None = None,
) -> FetchedReport:
    """Generate (or reuse) the account's credential report and download it.

    ``on_wait`` is told, before each wait, what is being waited for (e.g. ``"INPROGRESS"``,
    ``"Throttling"``). ``sleep`` and ``clock`` are injectable for tests. Raises
    :class:`~stalecreds.errors.AwsError` for any other error, or code ``Timeout`` past ``timeout``.
    """
    deadline = clock() + timeout
    wait = FIRST_WAIT_SECONDS
    generate = True
    regenerated = False
    fresh = False
    while True:
        if generate:
            state = _call(iam.generate_credential_report, "iam:GenerateCredentialReport")
            if isinstance(state, dict):
                state = str(state["State"])
                fresh = fresh or state in ("STARTED", "INPROGRESS")
                generate = state != "COMPLETE"
                if not generate:
                    continue  # ready: download it now
        else:
            response = _call(iam.get_credential_report, "iam:GetCredentialReport")
            if isinstance(response, dict):
                generated = response["GeneratedTime"].astimezone(UTC)
                return FetchedReport(bytes(response["Content"]), generated, fresh)
            state = response
            if state in _REGENERATE:
                generate = True
                if not regenerated:
                    regenerated = True
                    continue  # the first time, ask for a new report at once
        if clock() + wait > deadline:
            raise AwsError(
                "iam:GetCredentialReport",
                "Timeout",
                f"the credential report was not ready within {timeout:.0f} s "
                f"(last state: {state}); try again later or raise --report-timeout",
            )
        if on_wait is not None:
            on_wait(state)
        sleep(wait)
        wait = min(wait * 2, MAX_WAIT_SECONDS)


def _call(operation: Callable[[], Any], action: str) -> dict[str, Any] | str:
    """Call ``operation``; its response, or the error code when it is one we wait on or act on."""
    try:
        with aws_errors(action):
            response: dict[str, Any] = operation()
    except AwsError as error:
        if error.code in _WAIT or error.code in _REGENERATE:
            return error.code
        raise
    return response
