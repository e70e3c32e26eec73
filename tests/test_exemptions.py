"""Exemptions: config globs on user name, ARN and path; the exemption tag; the TOML loader."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from stalecreds.cli import main
from stalecreds.errors import InputError
from stalecreds.model import UserCredentials
from stalecreds.rules.exemptions import (
    DEFAULT_TAG_KEY,
    ExemptionRule,
    Exemptions,
    load_exemptions,
    user_path,
)
from tests.conftest import report, report_row


def user(name: str, arn: str) -> UserCredentials:
    return UserCredentials(
        name,
        arn,
        "111122223333",
        "aws",
        False,
        datetime(2020, 1, 1, tzinfo=UTC),
        False,
        None,
        (),
        (),
    )


BREAK_GLASS = user("break-glass", "arn:aws:iam::111122223333:user/break-glass")
LEGACY = user("old-backup", "arn:aws:iam::111122223333:user/service/legacy/old-backup")
CI = user("ci", "arn:aws:iam::111122223333:user/service/ci")
OTHER_ACCOUNT = user("ci", "arn:aws:iam::444455556666:user/ci")


@pytest.mark.parametrize(
    ("arn", "name", "path"),
    [
        ("arn:aws:iam::111122223333:user/service/ci", "ci", "/service/"),
        (
            "arn:aws:iam::111122223333:user/service/legacy/old-backup",
            "old-backup",
            "/service/legacy/",
        ),
        ("arn:aws:iam::111122223333:user/alice", "alice", "/"),
        (
            "arn:aws-cn:iam::111122223333:user/division_abc/subdivision_xyz/bob",
            "bob",
            "/division_abc/subdivision_xyz/",
        ),
        ("arn:aws:iam::111122223333:root", "<root_account>", "/"),
        ("arn:aws:iam::111122223333:user/service/ci", "alice", "/"),  # name not in the ARN
        ("not-an-arn", "ci", "/"),
    ],
)
def test_user_path(arn: str, name: str, path: str) -> None:
    assert user_path(arn, name) == path


def test_by_config_user_glob() -> None:
    rules = Exemptions((ExemptionRule("user", "break-*", "Emergency access"),))
    assert rules.by_config(BREAK_GLASS) == "Emergency access (config: user = 'break-*')"
    assert rules.by_config(CI) is None


def test_by_config_globs_are_case_sensitive() -> None:
    rules = Exemptions((ExemptionRule("user", "Break-*", "Emergency access"),))
    assert rules.by_config(BREAK_GLASS) is None


def test_by_config_arn_glob() -> None:
    rules = Exemptions((ExemptionRule("arn", "arn:aws:iam::111122223333:user/*", "Sandbox"),))
    assert rules.by_config(CI) == "Sandbox (config: arn = 'arn:aws:iam::111122223333:user/*')"
    assert rules.by_config(OTHER_ACCOUNT) is None


def test_by_config_path_glob() -> None:
    rules = Exemptions((ExemptionRule("path", "/service/legacy/*", "Legacy team until 2027"),))
    assert rules.by_config(LEGACY) == "Legacy team until 2027 (config: path = '/service/legacy/*')"
    assert rules.by_config(CI) is None  # path /service/
    assert rules.by_config(BREAK_GLASS) is None  # path /


def test_by_config_path_glob_matches_the_path_not_the_name() -> None:
    rules = Exemptions((ExemptionRule("path", "/", "Top level"),))
    assert rules.by_config(BREAK_GLASS) == "Top level (config: path = '/')"
    assert rules.by_config(CI) is None


def test_by_config_first_matching_rule_wins() -> None:
    rules = Exemptions(
        (
            ExemptionRule("user", "nobody", "Never matches"),
            ExemptionRule("path", "/service/*", "Service users"),
            ExemptionRule("user", "ci", "CI"),
        )
    )
    assert rules.by_config(CI) == "Service users (config: path = '/service/*')"


ROOT = UserCredentials(
    "<root_account>",
    "arn:aws:iam::111122223333:root",
    "111122223333",
    "aws",
    True,
    datetime(2020, 1, 1, tzinfo=UTC),
    True,
    None,
    (),
    (),
)


@pytest.mark.parametrize(
    ("field", "pattern"),
    [("user", "*"), ("path", "/"), ("path", "*"), ("arn", "*")],
)
def test_broad_rules_never_exempt_the_root_user(field: str, pattern: str) -> None:
    rules = Exemptions((ExemptionRule(field, pattern, "everyone"),))
    assert rules.by_config(ROOT) is None
    assert rules.by_config(BREAK_GLASS) is not None  # the rule itself does match users


def test_a_user_rule_naming_root_does_not_exempt_it() -> None:
    rules = Exemptions((ExemptionRule("user", "<root_account>", "root"),))
    assert rules.by_config(ROOT) is None


def test_an_arn_rule_naming_root_exempts_it() -> None:
    rules = Exemptions((ExemptionRule("arn", "arn:aws:iam::111122223333:root", "sandbox"),))
    assert rules.by_config(ROOT) == "sandbox (config: arn = 'arn:aws:iam::111122223333:root')"


def test_no_rules_exempt_nobody() -> None:
    assert Exemptions().by_config(CI) is None


def test_by_tags() -> None:
    exemptions = Exemptions()
    assert exemptions.tag_key == DEFAULT_TAG_KEY == "stalecreds:exempt"
    assert (
        exemptions.by_tags({"team": "ops", "stalecreds:exempt": "  Break glass, tested quarterly "})
        == "Break glass, tested quarterly (tag stalecreds:exempt)"
    )
    assert exemptions.by_tags({"stalecreds:exempt": ""}) == "exempt (tag stalecreds:exempt)"
    assert exemptions.by_tags({"stalecreds:exempt": "   "}) == "exempt (tag stalecreds:exempt)"
    assert exemptions.by_tags({"team": "ops"}) is None
    assert exemptions.by_tags({}) is None
    assert exemptions.by_tags({"Stalecreds:Exempt": "x"}) is None  # tag keys are exact


def test_by_tags_with_another_tag_key() -> None:
    exemptions = Exemptions(tag_key="audit:skip")
    assert exemptions.by_tags({"audit:skip": "yes"}) == "yes (tag audit:skip)"
    assert exemptions.by_tags({"stalecreds:exempt": "yes"}) is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stalecreds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_exemptions(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[exempt]]
user = "break-glass"               # glob on the user name
reason = "  Emergency access; reviewed every quarter  "

[[exempt]]
path = "/service/legacy/*"
reason = "Owned by the legacy team until 2027"

[[exempt]]
arn = "arn:aws:iam::111122223333:user/*"
reason = "Sandbox account"
""",
    )
    exemptions = load_exemptions(path, "audit:skip")
    assert exemptions.rules == (
        ExemptionRule("user", "break-glass", "Emergency access; reviewed every quarter"),
        ExemptionRule("path", "/service/legacy/*", "Owned by the legacy team until 2027"),
        ExemptionRule("arn", "arn:aws:iam::111122223333:user/*", "Sandbox account"),
    )
    assert exemptions.tag_key == "audit:skip"


def test_an_empty_file_has_no_rules(tmp_path: Path) -> None:
    exemptions = load_exemptions(write(tmp_path, ""))
    assert exemptions.rules == ()
    assert exemptions.tag_key == "stalecreds:exempt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[exempt]]\nuser "x"\n',
            "not valid TOML: Expected '=' after a key in a key/value pair (at line 2, column 6)",
        ),
        (
            '[[exempt]]\nuser = "a"\nreason = "r"\n\n[[exempt]]\nuser = "b\n',
            "not valid TOML: Illegal character '\\n' (at line 6, column 10)",
        ),
        ('[[exempt]]\nuser = "ci"\n', "[[exempt]] entry 1 needs a reason"),
        (
            '[[exempt]]\nuser = "a"\nreason = "r"\n[[exempt]]\nuser = "b"\nreason = "   "\n',
            "[[exempt]] entry 2 needs a reason",
        ),
        ('[[exempt]]\nuser = "ci"\nreason = 7\n', "[[exempt]] entry 1 needs a reason"),
        (
            '[[exempt]]\nuser = "ci"\npath = "/service/*"\nreason = "r"\n',
            "[[exempt]] entry 1 needs exactly one of user, arn or path",
        ),
        ('[[exempt]]\nreason = "r"\n', "[[exempt]] entry 1 needs exactly one of user, arn or path"),
        ('[[exempt]]\nuser = 7\nreason = "r"\n', "[[exempt]] entry 1: user must be a string"),
        ('exempt = "everyone"\n', "'exempt' must be an array of tables: [[exempt]]"),
        ("exempt = [1]\n", "[[exempt]] entry 1 is not a table"),
        (
            '[[exemptions]]\nuser = "ci"\nreason = "r"\n',
            "unknown setting 'exemptions'; exemptions are [[exempt]] tables",
        ),
        (
            '[[exempt]]\nuser = "ci"\nreason = "r"\nfoo = 1\n',
            "[[exempt]] entry 1: unknown key 'foo' (use user, arn or path, and reason)",
        ),
        (
            '[[exempt]]\npath = "service"\nreason = "r"\n',
            "[[exempt]] entry 1: path 'service' can never match: IAM paths start with /",
        ),
        (
            '[[exempt]]\nuser = "<root_account>"\nreason = "r"\n',
            "[[exempt]] entry 1: the root user is exempted only by an arn rule ending in ':root'",
        ),
    ],
    ids=[
        "bad-toml",
        "bad-toml-later-line",
        "missing-reason",
        "blank-reason",
        "reason-not-text",
        "two-fields",
        "no-field",
        "pattern-not-text",
        "exempt-not-array",
        "entry-not-table",
        "misspelt-table",
        "unknown-key",
        "path-without-slash",
        "root-by-user-name",
    ],
)
def test_load_exemptions_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_exemptions(path)
    assert raised.value.source == str(path)
    assert raised.value.message == message
    assert str(raised.value) == f"{path}: {message}"


def test_load_exemptions_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(InputError) as raised:
        load_exemptions(path)
    assert str(raised.value) == f"{path}: No such file or directory"


def test_load_exemptions_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'[[exempt]]\nuser = "caf\xe9"\nreason = "r"\n')
    with pytest.raises(InputError) as raised:
        load_exemptions(path)
    assert str(raised.value) == f"{path}: not UTF-8 text"


def test_cli_bad_config_is_a_one_line_input_error(tmp_path: Path) -> None:
    config = write(tmp_path, '[[exempt]]\nuser "x"\n')
    result = CliRunner().invoke(main, ["scan", "--sample", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"stalecreds: error: {config}: not valid TOML: Expected '=' after a key in a key/value "
        "pair (at line 2, column 6)\n"
    )


def test_cli_config_exempts_a_report_user(tmp_path: Path) -> None:
    csv_path = tmp_path / "report.csv"
    csv_path.write_text(
        report(
            report_row(
                user="break-glass",
                arn="arn:aws:iam::111122223333:user/break-glass",
                password_enabled="true",
                password_last_used="2024-01-01T00:00:00+00:00",
                password_last_changed="2020-01-01T00:00:00+00:00",
            ),
            report_row(
                user="bob",
                arn="arn:aws:iam::111122223333:user/bob",
                password_enabled="true",
                password_last_used="2024-01-01T00:00:00+00:00",
                password_last_changed="2020-01-01T00:00:00+00:00",
            ),
        ),
        encoding="utf-8",
    )
    config = write(tmp_path, '[[exempt]]\nuser = "break-*"\nreason = "Emergency access"\n')
    result = CliRunner().invoke(
        main,
        [
            "scan",
            "--report",
            str(csv_path),
            "--config",
            str(config),
            "--format",
            "json",
            "--as-of",
            "2025-06-01T00:00:00Z",
        ],
    )
    assert result.exit_code == 1  # bob is still a finding
    document = json.loads(result.stdout)
    assert [(c["user"], c["verdict"], c["finding"]) for c in document["credentials"]] == [
        ("break-glass", "unused", False),
        ("bob", "unused", True),
    ]
    assert document["summary"]["findings"] == 1
