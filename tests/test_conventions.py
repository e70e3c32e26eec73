"""Command-line conventions (issue 12 items 6 and 7), through click's runner and moto over HTTP.

``-o/--output`` for every command that writes (``-`` is standard output; ``plan --out`` stays as
a hidden alias), ``--quiet``/``--verbose``/``--debug``/``--color``, ``NO_COLOR``, the demo
server's port and its report dates, and what plans say about deletions.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from stalecreds.aws.wire_log import REDACTED, RedactingFormatter, enable_wire_log, redact
from stalecreds.cli import main
from stalecreds.formats.plan_view import apply_question, render_plan, step_reason
from stalecreds.remediate.actions import Action
from stalecreds.remediate.plan_file import plan_from_json
from tests.conftest import SeedKey, seed_user
from tests.test_apply import CALLER, Account
from tests.test_remediate_cli import write_plan

AS_OF = "2026-11-01T09:14:27Z"


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, prog_name="stalecreds")


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def account(iam: Any, data_home: Path) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


# --- -o/--output ----------------------------------------------------------------------------------


def test_scan_output_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("scan", "--sample", "--format", "json", "-o", "-")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["summary"]["findings"] == 7
    assert not (tmp_path / "-").exists()
    assert "wrote" not in result.stderr


def test_plan_takes_output_and_the_old_out_and_dash(account, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    short = cli("plan", "--source", "api", "-o", "a.json")
    long = cli("plan", "--source", "api", "--output", "b.json")
    old = cli("plan", "--source", "api", "--out", "c.json")
    for result, name in ((short, "a.json"), (long, "b.json"), (old, "c.json")):
        assert result.exit_code == 0, result.stderr
        assert plan_from_json((tmp_path / name).read_text(encoding="utf-8"), name).steps
        assert f"wrote the plan to {name}" in result.stderr
    to_stdout = cli("plan", "--source", "api", "-o", "-")
    assert to_stdout.exit_code == 0, to_stdout.stderr
    the_plan = plan_from_json(to_stdout.stdout, "<stdout>")  # only the JSON on stdout
    assert len(the_plan.steps) == 4
    assert "Steps (4)" in to_stdout.stderr  # the table goes to standard error
    assert not (tmp_path / "-").exists()
    help_text = cli("plan", "--help").stdout
    assert "-o, --output FILE" in help_text
    assert "--out " not in help_text  # hidden
    missing = cli("plan", "--source", "api")
    assert missing.exit_code == 2
    assert "Missing option '-o' / '--output'" in missing.stderr


def test_merge_output_dash_is_standard_output(tmp_path):
    scan = tmp_path / "scan.json"
    assert cli("scan", "--sample", "--format", "json", "-o", str(scan)).exit_code == 1
    result = cli("merge", str(scan), "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["findings"] == 7


# --- --quiet, --verbose, --color ------------------------------------------------------------------


def _many_warnings_report(tmp_path: Path) -> Path:
    from tests.conftest import report, report_row

    rows = [
        report_row(user="dup", arn="arn:aws:iam::111122223333:user/dup") for _ in range(14)
    ]  # 13 "listed more than once" warnings
    path = tmp_path / "r.csv"
    path.write_text(report(*rows), encoding="utf-8")
    return path


def test_quiet_and_verbose_choose_what_goes_to_standard_error(tmp_path):
    path = _many_warnings_report(tmp_path)
    out = tmp_path / "out.json"
    normal = cli(
        "scan", "--report", str(path), "--as-of", AS_OF, "--format", "json", "-o", str(out)
    )
    assert normal.exit_code == 0, normal.stderr
    warnings = [line for line in normal.stderr.splitlines() if line.startswith("stalecreds: warn")]
    assert len(warnings) == 11  # ten, and how many more
    assert "more warnings (listed in the JSON output)" in warnings[-1]
    verbose = cli(
        "-v", "scan", "--report", str(path), "--as-of", AS_OF, "--format", "json", "-o", str(out)
    )
    listed = [line for line in verbose.stderr.splitlines() if line.startswith("stalecreds: warn")]
    total = len(json.loads(out.read_text(encoding="utf-8"))["warnings"])
    assert len(listed) == total > 10
    quiet = cli(
        "-q", "scan", "--report", str(path), "--as-of", AS_OF, "--format", "json", "-o", str(out)
    )
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    both = cli("-q", "-v", "scan", "--sample")
    assert both.exit_code == 2
    assert "either --quiet or --verbose" in both.stderr


def test_color_is_off_when_piped_on_with_color_and_never_with_no_color_or_no_color_env():
    plain = cli("scan", "--sample")
    assert "\x1b[" not in plain.stdout
    forced = cli("--color", "scan", "--sample")
    assert "\x1b[1;31m" in forced.stdout  # bold red verdicts
    assert "\x1b[" not in cli("--no-color", "scan", "--sample").stdout
    # NO_COLOR (https://no-color.org) drops colour; an explicit --color wins over it.
    no_color_env = cli("--color", "scan", "--sample", env={"NO_COLOR": "1"})
    assert "\x1b[1;31m" in no_color_env.stdout
    assert "\x1b[1;31m" not in cli("scan", "--sample", env={"NO_COLOR": "1"}).stdout


def test_completion_is_documented_in_the_help():
    text = cli("--help").stdout
    assert "_STALECREDS_COMPLETE=bash_source stalecreds" in text
    for option in ("--quiet", "--verbose", "--debug", "--color / --no-color"):
        assert option in text


# --- --debug: botocore's wire log, secrets redacted --------------------------------------------


@pytest.fixture
def wire_log() -> Any:
    stream = io.StringIO()
    handler = enable_wire_log(stream)
    yield stream
    for name in ("botocore", "urllib3", "stalecreds"):
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_the_wire_log_never_holds_a_secret(moto_endpoint, boto_session, wire_log, monkeypatch):
    token = "FAKESESSIONTOKEN/abcdefghijklmnopqrstuvwxyz0123456789+=="
    iam = boto_session.client(
        "iam",
        endpoint_url=moto_endpoint,
        aws_access_key_id="AKIAFAKEFAKEFAKEFAKE",
        aws_secret_access_key="fake-secret-not-a-real-key",
        aws_session_token=token,
    )
    iam.create_user(UserName="bob")
    password = "Pa55word-never-logged!"
    iam.create_login_profile(UserName="bob", Password=password, PasswordResetRequired=True)
    secret = iam.create_access_key(UserName="bob")["AccessKey"]["SecretAccessKey"]
    iam.update_login_profile(UserName="bob", Password=password + "2")
    text = wire_log.getvalue()
    assert "CreateLoginProfile" in text and "CreateAccessKey" in text  # it is the wire log
    for value in (password, secret, token, "fake-secret-not-a-real-key"):
        assert value not in text
    assert "Signature=" not in text.replace(f"Signature={REDACTED}", "")
    assert REDACTED in text


def test_debug_option_logs_a_live_scan_redacted(iam, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FAKESESSIONTOKENVALUE0123456789")
    seed_user(iam, "bob", created=datetime.now(UTC) - timedelta(days=400))
    try:
        result = cli("--debug", "scan", "--source", "api", "--format", "json")
    finally:
        for name in ("botocore", "urllib3", "stalecreds"):
            logger = logging.getLogger(name)
            for handler in list(logger.handlers):
                if isinstance(handler.formatter, RedactingFormatter):
                    logger.removeHandler(handler)
            logger.setLevel(logging.NOTSET)
    assert result.exit_code == 0, result.stderr
    assert "ListUsers" in result.stderr
    assert "FAKESESSIONTOKENVALUE0123456789" not in result.stderr
    assert "'Authorization': b'<redacted>'" in result.stderr
    json.loads(result.stdout)  # the wire log never reaches standard output


def test_redact_shapes():
    assert redact("x-amz-security-token:abc") == f"x-amz-security-token:{REDACTED}"
    assert redact("&NewPassword=a%21b&") == f"&NewPassword={REDACTED}&"
    assert redact('{"SecretAccessKey": "a\\"b"}') == f'{{"SecretAccessKey": "{REDACTED}"}}'
    assert redact("UserName=bob&PasswordResetRequired=true") == (
        "UserName=bob&PasswordResetRequired=true"
    )


# --- the demo ------------------------------------------------------------------------------------


def test_demo_port_needs_serve_and_the_demo_mentions_history_and_dry_run():
    result = cli("demo", "--port", "8123")
    assert result.exit_code == 2
    assert "--port needs --serve" in result.stderr
    from stalecreds.demo import serve_instructions

    text = serve_instructions("http://127.0.0.1:8123")
    assert "stalecreds scan --history" in text
    assert "stalecreds apply plan.json --dry-run" in text
    assert "stalecreds plan -o plan.json" in text
    assert text.count("Demo note:") == 1


def test_the_demo_server_dates_reports_when_fetched_so_scans_do_not_warn(
    moto_endpoint, monkeypatch
):
    # Scans of it do not warn that the report is old. moto_endpoint resets moto for its users.
    import socket

    from stalecreds.demo import local_iam, seed_demo_account

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with local_iam(port) as iam:
        assert iam.meta.endpoint_url == f"http://127.0.0.1:{port}"
        seed_demo_account(iam, datetime.now(UTC))
        monkeypatch.setenv("AWS_ENDPOINT_URL", iam.meta.endpoint_url)
        before = datetime.now(UTC).replace(microsecond=0)
        result = cli("scan", "--format", "json")
    assert result.exit_code == 1, result.stderr
    generated = json.loads(result.stdout)["source"]["generated_time"]
    assert datetime.fromisoformat(generated) >= before - timedelta(seconds=1)
    assert "warning" not in result.stderr


# --- plans: deletions explained, rows sorted, the apply question --------------------------------


def test_a_deleted_inactive_key_says_why_and_rows_are_sorted(account, tmp_path):
    seed_user(
        account.iam,
        "Aaron",
        created=account.now - timedelta(days=900),
        keys=(SeedKey(account.now - timedelta(days=800), account.now - timedelta(days=700)),),
        path="/zzz/",
    )
    plan = account.plan(caller=CALLER)
    delete = next(s for s in plan.steps if s.action is Action.DELETE_ACCESS_KEY)
    assert step_reason(delete, plan).startswith(
        "Staged clean-up: Inactive and unused for at least the 30-day quarantine, so deleted. "
    )
    out = io.StringIO()
    render_plan(plan, out)
    text = out.getvalue()
    assert "Staged clean-up" in text
    users = [s.user for s in plan.steps]
    shown = sorted(users, key=str.lower)
    positions = [text.index(f"│ {user} ") for user in dict.fromkeys(shown)]
    assert positions == sorted(positions)  # Aaron (path /zzz/) first, by name, not by ARN


def test_apply_question_counts_what_cannot_be_undone(account, tmp_path):
    plan = plan_from_json(write_plan(account, tmp_path).read_text(encoding="utf-8"), "p")
    assert apply_question(plan) == (
        "Apply 4 steps to 123456789012? 2 of them cannot be undone "
        "(1 delete-access-key, 1 delete-login-profile)."
    )
    only_reversible = plan._replace(
        steps=tuple(s for s in plan.steps if s.action is Action.DEACTIVATE_ACCESS_KEY)
    )
    assert apply_question(only_reversible) == (
        "Apply 2 steps to 123456789012? Every step can be undone ('stalecreds undo')."
    )
    one = plan._replace(steps=tuple(s for s in plan.steps if s.action is Action.DELETE_ACCESS_KEY))
    assert apply_question(one) == (
        "Apply 1 step to 123456789012? It cannot be undone (1 delete-access-key)."
    )


# --- Ctrl-C during a scan of many accounts ---------------------------------------------------


def test_ctrl_c_during_a_scan_of_many_accounts_starts_no_more_accounts():
    import threading

    from stalecreds.accounts.parallel import scan_accounts
    from stalecreds.accounts.selection import Account as OrgAccount

    started: list[str] = []
    lock = threading.Lock()

    def scan_one(account: OrgAccount) -> Any:
        with lock:
            started.append(account.account_id)
        raise KeyboardInterrupt  # as if Ctrl-C reached the scan of the first account

    accounts = [OrgAccount(f"{n:012d}") for n in range(1, 9)]
    with pytest.raises(KeyboardInterrupt):
        scan_accounts(accounts, scan_one, workers=1)
    assert started == ["000000000001"]  # the seven waiting accounts were never started
