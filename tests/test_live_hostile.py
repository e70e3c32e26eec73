"""Live scans and apply against moto when IAM moved on or answers garbage (issue 11, items 9-10).

Item 9: a user deleted after IAM generated the cached report answers ``NoSuchEntity`` to the
user APIs; it is left out with a note, never ``unknown``, never planned. Item 10: an answer
botocore cannot read (truncated XML, an HTML page with status 200) is an AWS error naming the
call: exit 3 for a scan, one failed step for apply. The garbage comes from a tiny HTTP server on
127.0.0.1 in front of moto (reached through ``AWS_ENDPOINT_URL``), which forwards every request
except the ones a test picks.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds import Thresholds, VerdictRules
from stalecreds.aws.live_options import LiveScanOptions
from stalecreds.aws.live_scan import scan_account
from stalecreds.cli import main
from stalecreds.remediate.journal import read_journal
from stalecreds.remediate.plan_file import plan_to_json
from tests.conftest import SeedKey, seed_user
from tests.fault_injection import FaultInjector
from tests.test_apply import CALLER, Account, key_status

AS_OF = datetime(2025, 6, 1, tzinfo=UTC)
RULES = VerdictRules(AS_OF, Thresholds(90, 90))


def days(n: float) -> datetime:
    return AS_OF - timedelta(days=n)


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), prog_name="stalecreds")


def seed(iam: Any) -> None:
    seed_user(iam, "stays", created=days(400), keys=(SeedKey(days(300), days(200)),))
    seed_user(
        iam,
        "leaver",
        created=days(400),
        password=True,
        password_used=days(200),
        keys=(SeedKey(days(300), days(200)),),
    )
    seed_user(iam, "pw-only", created=days(400), password=True, password_used=days(200))
    seed_user(iam, "pw-removed", created=days(400), password=True, password_used=days(200))


def delete_user(iam: Any, name: str) -> None:
    for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    with contextlib.suppress(iam.exceptions.NoSuchEntityException):
        iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def users_and_kinds(result: Any) -> list[tuple[str, str]]:
    return sorted((a.owner.user, a.kind.value) for a in result)


# --- item 9: deleted since the cached report ---------------------------------------------------


def test_users_deleted_after_the_cached_report_are_left_out_not_unknown(
    iam: Any, boto_session: Any
) -> None:
    seed(iam)
    assert iam.generate_credential_report()["State"] == "STARTED"  # cached for the scan
    faults = FaultInjector(iam)
    other = boto_session.client("iam")  # no fault layer

    def delete_after_the_report(parsed: dict[str, Any], _: dict[str, Any]) -> None:
        delete_user(other, "leaver")  # keys and password: ListAccessKeys says NoSuchEntity
        delete_user(other, "pw-only")  # password only: GetLoginProfile, then GetUser
        other.delete_login_profile(UserName="pw-removed")  # the user stays

    faults.after("GetCredentialReport", delete_after_the_report)

    result = scan_account(iam, RULES, LiveScanOptions(), sleep=lambda _: None)

    assert result.errors == ()
    assert users_and_kinds(result) == [("stays", "access_key")]
    assert result.summary.users == 2  # stays and pw-removed; the deleted ones are not counted
    messages = [w.message for w in result.warnings.items]
    assert (
        "leaver: the user no longer exists (iam:ListAccessKeys: NoSuchEntity; deleted since the "
        "report); it and its credentials are not listed"
    ) in messages
    assert (
        "pw-only: the user no longer exists (iam:GetLoginProfile, iam:GetUser: NoSuchEntity; "
        "deleted since the report); it and its credentials are not listed"
    ) in messages
    assert (
        "pw-removed: the console password no longer exists (GetLoginProfile: NoSuchEntity); "
        "not listed"
    ) in messages


def test_a_user_deleted_before_its_tags_are_read_is_left_out(iam: Any, boto_session: Any) -> None:
    # --source api: ListUsers lists it, then ListUserTags (after its keys) says NoSuchEntity.
    seed(iam)
    faults = FaultInjector(iam)
    other = boto_session.client("iam")

    def delete_pw_only(parsed: dict[str, Any], params: dict[str, Any]) -> None:
        if params.get("UserName") == "pw-only":  # its password is a finding: tags come next
            delete_user(other, "pw-only")

    faults.after("ListAccessKeys", delete_pw_only)

    result = scan_account(iam, RULES, LiveScanOptions(source="api"), sleep=lambda _: None)

    assert result.errors == ()
    assert "pw-only" not in {a.owner.user for a in result}
    assert {a.owner.user for a in result} == {"stays", "leaver", "pw-removed"}
    assert [w.message for w in result.warnings.items if w.message.startswith("pw-only")] == [
        "pw-only: the user no longer exists (iam:ListUserTags: NoSuchEntity; deleted since the "
        "report); it and its credentials are not listed"
    ]


# --- item 10: unreadable answers --------------------------------------------------------------

Garbage = Callable[[dict[str, str]], bytes | None]


class _Proxy(http.server.BaseHTTPRequestHandler):
    upstream = ""
    garbage: Garbage = staticmethod(lambda params: None)  # type: ignore[assignment]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        params = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace")))
        answer = type(self).garbage(params)
        status = 200
        if answer is None:
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            request = urllib.request.Request(self.upstream + self.path, data=body, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer, status = response.read(), response.status
            except urllib.error.HTTPError as error:
                answer, status = error.read(), error.code
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def garbage_server(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Garbage], None]]:
    """A server in front of moto; ``choose(garbage)`` picks the requests it answers itself."""
    handler = type("Proxy", (_Proxy,), {"upstream": moto_endpoint})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_address[1]}")

    def choose(garbage: Garbage) -> None:
        handler.garbage = staticmethod(garbage)  # type: ignore[attr-defined]

    try:
        yield choose
    finally:
        server.shutdown()
        server.server_close()


TRUNCATED = b'<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersRe'
HTML = b"<html><head><title>Maintenance</title></head><body><p>Back soon</p></body></html>"


@pytest.mark.parametrize(
    ("action", "body", "code"),
    [
        ("ListUsers", TRUNCATED, "ResponseParserError"),
        ("ListUsers", HTML, "MalformedResponse"),
        ("ListAccessKeys", b"<html><body>oops", "ResponseParserError"),
        ("GetLoginProfile", HTML, "MalformedResponse"),
    ],
)
def test_an_unreadable_answer_is_an_aws_error_naming_the_call(
    iam: Any, garbage_server: Callable[[Garbage], None], action: str, body: bytes, code: str
) -> None:
    seed_user(iam, "alice", created=days(400), password=True, keys=(SeedKey(days(300)),))
    garbage_server(lambda params: body if params.get("Action") == action else None)

    result = run("scan", "--source", "api", "--format", "json")

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.stderr
    assert f"iam:{action} failed: {code}: " in result.stderr
    assert all(len(line) < 500 for line in result.stderr.splitlines())


def test_an_unreadable_credential_report_fails_the_scan_with_exit_3(
    iam: Any, garbage_server: Callable[[Garbage], None]
) -> None:
    seed_user(iam, "alice", created=days(400), password=True)
    garbage_server(lambda params: HTML if params.get("Action") == "GetCredentialReport" else None)
    assert iam.generate_credential_report()["State"] == "STARTED"  # ready: no wait

    result = run("scan")

    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("stalecreds: error: iam:GetCredentialReport failed: ")
    assert "Traceback" not in result.stderr


def test_apply_fails_only_the_step_whose_answer_is_unreadable(
    iam: Any, garbage_server: Callable[[Garbage], None], tmp_path: Path
) -> None:
    account = Account(iam, datetime.now(UTC).replace(microsecond=0))
    plan = tmp_path / "plan.json"
    the_plan = account.plan(caller=CALLER)._replace(plan_id="20250601T000000Z-0123abcd")
    plan.write_text(plan_to_json(the_plan), encoding="utf-8")
    journal = tmp_path / "journal.jsonl"
    garbage_server(
        lambda params: (
            TRUNCATED
            if params.get("Action") == "UpdateAccessKey" and params.get("UserName") == "stale-key"
            else None
        )
    )

    result = run("apply", str(plan), "--yes", "--journal", str(journal))

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    ends = {r["user"]: r for r in read_journal(journal) if r["event"] == "step-end"}
    assert ends["stale-key"]["outcome"] == "failed"
    assert ends["stale-key"]["detail"].startswith(
        "iam:UpdateAccessKey failed: ResponseParserError: unreadable answer"
    )
    assert ends["never-key"]["outcome"] == "applied"
    assert key_status(iam, "stale-key", account.stale_key) == "Active"
    assert key_status(iam, "never-key", account.never_key) == "Inactive"


def test_cli_scan_and_plan_with_a_user_deleted_since_the_report_exit_1_and_0_plan_nothing(
    iam: Any,
    garbage_server: Callable[[Garbage], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    now = datetime.now(UTC)
    for name in ("stays", "leaver"):
        seed_user(iam, name, created=now - timedelta(400), keys=(SeedKey(now - timedelta(300)),))
    assert iam.generate_credential_report()["State"] == "STARTED"
    bodies: list[bytes] = []
    iam.meta.events.register(
        "after-call.iam.GetCredentialReport",
        lambda http_response, **_: bodies.append(http_response.content),
    )
    iam.get_credential_report()
    cached = bodies[0]  # the report as IAM cached it, both users in it
    delete_user(iam, "leaver")
    # The proxy serves the cached report; every other call reaches moto, where leaver is gone.
    garbage_server(lambda params: cached if params.get("Action") == "GetCredentialReport" else None)

    scanned = run("scan", "--format", "json")
    plan = tmp_path / "plan.json"
    planned = run("plan", "--out", str(plan))

    assert scanned.exit_code == 1, scanned.stderr
    assert {c["user"] for c in json.loads(scanned.stdout)["credentials"]} == {"stays"}
    assert "leaver: the user no longer exists (iam:ListAccessKeys: NoSuchEntity" in scanned.stderr
    assert planned.exit_code == 0, planned.stderr
    steps = json.loads(plan.read_text(encoding="utf-8"))["steps"]
    assert [step["user"] for step in steps] == ["stays"]
