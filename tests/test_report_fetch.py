"""fetch_credential_report against a moto server, with the fault layer for what moto cannot say.

The live-API cases 1-4 of shared/cases/api-cases.md. ``sleep`` and ``clock`` are a fake clock:
nothing here really sleeps except the one test that lets botocore retry ``Throttling`` itself.
Most tests use a client without botocore retries so that every answer reaches our loop.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.config import Config

from stalecreds.aws.report_fetch import (
    FIRST_WAIT_SECONDS,
    MAX_WAIT_SECONDS,
    fetch_credential_report,
)
from stalecreds.aws.session import AwsError
from stalecreds.report.credential_report import REPORT_COLUMNS
from tests.fault_injection import (
    FaultInjector,
    access_denied,
    error_response,
    limit_exceeded,
    report_state,
    throttling,
)

GENERATE = "GenerateCredentialReport"
GET = "GetCredentialReport"
MOTO_GENERATED_TIME = datetime(2015, 2, 2, 20, 2, 2, tzinfo=UTC)
"""moto's constant GeneratedTime (spec §8)."""


class FakeTime:
    """A monotonic clock that only moves when ``sleep`` is called; records every wait."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def plain_iam(moto_endpoint: str, boto_session: Any) -> Any:
    """An IAM client bound to moto (via AWS_ENDPOINT_URL) with botocore retries off.

    Adaptive mode would retry Throttling itself, with real sleeps; off, each canned answer
    reaches fetch_credential_report's own loop, which is what these tests count.
    """
    iam = boto_session.client(
        "iam", config=Config(retries={"mode": "standard", "total_max_attempts": 1})
    )
    iam.create_user(UserName="alice")
    return iam


def fetch(iam: Any, fake_time: FakeTime, timeout: float = 300.0) -> tuple[Any, list[str]]:
    waited: list[str] = []
    fetched = fetch_credential_report(
        iam, timeout=timeout, sleep=fake_time.sleep, clock=fake_time.clock, on_wait=waited.append
    )
    return fetched, waited


def assert_is_moto_report(content: bytes) -> None:
    lines = content.decode("utf-8").splitlines()
    assert lines[0] == ",".join(REPORT_COLUMNS)
    assert len(lines) == 2
    assert lines[1].startswith("alice,arn:aws:iam::123456789012:user/alice,")


def test_case_1_report_not_present_generates_then_polls(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    faults = FaultInjector(plain_iam)
    # moto gap: its first GenerateCredentialReport always answers STARTED and creates the report
    # at once; a COMPLETE before any report exists lets moto's own ReportNotPresent (410) show.
    faults.script(GENERATE, report_state("COMPLETE"))

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GET, GENERATE, GENERATE, GET]
    assert faults.attempts == {GENERATE: 3, GET: 2}
    assert fake_time.sleeps == [0.25]  # regenerated at once, then one wait on moto's STARTED
    assert waited == ["STARTED"]  # progress, never the raw ReportNotPresent
    assert_is_moto_report(fetched.content)
    assert fetched.generated_time == MOTO_GENERATED_TIME
    assert fetched.generated_time.tzinfo is UTC
    assert fetched.fresh is True  # this fetch had IAM generate it


def test_case_2_asynchronous_generation_waits_with_growing_backoff(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    faults = FaultInjector(plain_iam)
    # moto gap: it never answers INPROGRESS and its GetCredentialReport never raises
    # ReportInProgress. STARTED and COMPLETE (the None entries) are moto's own answers.
    faults.script(GENERATE, None, report_state("INPROGRESS"), report_state("INPROGRESS"), None)
    faults.script(GET, error_response("ReportInProgress", 404), None)

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GENERATE, GENERATE, GENERATE, GET, GET]
    assert fake_time.sleeps == [0.25, 0.5, 1.0, 2.0]
    assert waited == ["STARTED", "INPROGRESS", "INPROGRESS", "ReportInProgress"]
    assert faults.remaining(GENERATE) == faults.remaining(GET) == 0
    assert_is_moto_report(fetched.content)
    assert fetched.fresh is True


def test_case_3_expired_report_is_regenerated(plain_iam: Any, fake_time: FakeTime) -> None:
    plain_iam.generate_credential_report()  # moto now has a report: Generate says COMPLETE
    faults = FaultInjector(plain_iam)
    # moto gap: GetCredentialReport never raises ReportExpired, and so its GenerateCredentialReport
    # then says COMPLETE, where IAM starts a new report (STARTED).
    faults.script(GET, error_response("ReportExpired", 410, "The report has expired"), None)
    faults.script(GENERATE, None, report_state("STARTED"), None)

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GET, GENERATE, GENERATE, GET]
    assert fake_time.sleeps == [0.25]  # regenerated at once; one wait on STARTED
    assert waited == ["STARTED"]
    assert_is_moto_report(fetched.content)
    assert fetched.fresh is True


def test_a_cached_report_is_downloaded_at_once_and_is_not_fresh(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    plain_iam.generate_credential_report()  # IAM has one: Generate answers COMPLETE at once
    faults = FaultInjector(plain_iam)

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GET]
    assert fake_time.sleeps == []
    assert waited == []
    assert fetched.fresh is False  # may be up to four hours old
    assert_is_moto_report(fetched.content)


def test_a_report_expired_twice_is_regenerated_after_a_wait(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    plain_iam.generate_credential_report()
    faults = FaultInjector(plain_iam)
    expired = error_response("ReportExpired", 410, "The report has expired")
    faults.script(GET, expired, expired, None)  # moto gap: no ReportExpired

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GET, GENERATE, GET, GENERATE, GET]
    assert fake_time.sleeps == [0.25]  # only the first regeneration is immediate
    assert waited == ["ReportExpired"]
    assert_is_moto_report(fetched.content)


def test_case_4_throttled_generation_backs_off_and_finishes(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    plain_iam.generate_credential_report()
    faults = FaultInjector(plain_iam)
    # moto gap: no Throttling or LimitExceeded; the last attempt is moto's COMPLETE.
    faults.script(GENERATE, throttling(), throttling(), limit_exceeded(), None)

    fetched, waited = fetch(plain_iam, fake_time)

    assert faults.operations() == [GENERATE, GENERATE, GENERATE, GENERATE, GET]
    assert fake_time.sleeps == [0.25, 0.5, 1.0]
    assert waited == ["Throttling", "Throttling", "LimitExceeded"]
    assert_is_moto_report(fetched.content)
    assert fetched.fresh is False  # IAM served the report it had


def test_case_4_with_the_scan_client_botocore_retries_throttling_and_we_retry_limit_exceeded(
    iam: Any, fake_time: FakeTime
) -> None:
    # The one test with real sleeps: botocore's adaptive mode retries Throttling itself (its
    # backoff and rate limiter wait about 1-2 s; case 4's second Throttling would double that);
    # LimitExceeded is not in botocore's list of throttling codes, so our loop waits for it.
    iam.create_user(UserName="alice")
    iam.generate_credential_report()
    faults = FaultInjector(iam)
    faults.script(GENERATE, throttling(), limit_exceeded(), None)  # moto gap

    started = time.monotonic()
    fetched, waited = fetch(iam, fake_time)

    assert faults.operations() == [GENERATE, GENERATE, GET]  # API calls
    assert faults.attempts == {GENERATE: 3, GET: 1}  # HTTP attempts, retries included
    assert fake_time.sleeps == [0.25]
    assert waited == ["LimitExceeded"]
    assert_is_moto_report(fetched.content)
    assert time.monotonic() - started < 10


def test_the_backoff_constants() -> None:
    # The expected waits below are derived from these: first wait 0.25 s, doubling, at most 16 s.
    assert (FIRST_WAIT_SECONDS, MAX_WAIT_SECONDS) == (0.25, 16.0)


def test_waits_double_up_to_16_s_and_stop_at_the_deadline(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    faults = FaultInjector(plain_iam)
    faults.always(GENERATE, lambda _: report_state("INPROGRESS"))  # moto gap: no INPROGRESS

    with pytest.raises(AwsError) as raised:
        fetch(plain_iam, fake_time, timeout=100)

    # 0.25+0.5+1+2+4+8 = 15.75 s, then 16 s five times: 95.75 s; one more 16 s wait would end
    # past the 100 s deadline.
    assert fake_time.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 16.0, 16.0, 16.0, 16.0]
    assert faults.operations() == [GENERATE] * 12  # one call per wait, never a busy loop
    assert raised.value.action == "iam:GetCredentialReport"
    assert raised.value.code == "Timeout"
    assert str(raised.value) == (
        "iam:GetCredentialReport failed: Timeout: the credential report was not ready within "
        "100 s (last state: INPROGRESS); try again later or raise --report-timeout"
    )


def test_a_short_timeout_gives_up_before_a_wait_would_pass_it(
    plain_iam: Any, fake_time: FakeTime
) -> None:
    faults = FaultInjector(plain_iam)
    faults.always(GENERATE, lambda _: limit_exceeded())  # moto gap: no LimitExceeded

    with pytest.raises(AwsError) as raised:
        fetch(plain_iam, fake_time, timeout=10)

    assert fake_time.sleeps == [0.25, 0.5, 1.0, 2.0, 4.0]  # 7.75 s; 7.75 + 8 would pass 10
    assert faults.operations() == [GENERATE] * 6
    assert raised.value.code == "Timeout"
    assert raised.value.message == (
        "the credential report was not ready within 10 s (last state: LimitExceeded); "
        "try again later or raise --report-timeout"
    )


@pytest.mark.parametrize("operation", [GENERATE, GET])
def test_access_denied_fails_at_once_naming_the_action(
    plain_iam: Any, fake_time: FakeTime, operation: str
) -> None:
    plain_iam.generate_credential_report()
    faults = FaultInjector(plain_iam)
    # moto can deny calls only with auth on for the whole server (test_least_privilege does
    # that); here one operation is denied on its own.
    faults.script(operation, access_denied(f"iam:{operation}"))

    with pytest.raises(AwsError) as raised:
        fetch(plain_iam, fake_time)

    assert raised.value.action == f"iam:{operation}"
    assert raised.value.code == "AccessDenied"
    assert str(raised.value) == (
        f"iam:{operation} failed: AccessDenied: User: arn:aws:iam::123456789012:user/scanner "
        f"is not authorized to perform: iam:{operation} on resource: *"
    )
    assert fake_time.sleeps == []
    assert faults.operations() == [GENERATE] if operation == GENERATE else [GENERATE, GET]


def test_any_other_error_fails_at_once(plain_iam: Any, fake_time: FakeTime) -> None:
    faults = FaultInjector(plain_iam)
    faults.script(GENERATE, error_response("ServiceFailure", 500, "Internal failure", "Receiver"))

    with pytest.raises(AwsError) as raised:
        fetch(plain_iam, fake_time)

    assert (raised.value.action, raised.value.code, raised.value.message) == (
        "iam:GenerateCredentialReport",
        "ServiceFailure",
        "Internal failure",
    )
    assert fake_time.sleeps == []


def test_an_empty_error_message_is_named(plain_iam: Any, fake_time: FakeTime) -> None:
    faults = FaultInjector(plain_iam)
    faults.script(GENERATE, error_response("AccessDenied", 403))  # IAM's message may be empty

    with pytest.raises(AwsError) as raised:
        fetch(plain_iam, fake_time)

    assert str(raised.value) == "iam:GenerateCredentialReport failed: AccessDenied: no message"
