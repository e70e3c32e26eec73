"""Assumed-role sessions (stalecreds.aws.assume) against the moto server, over HTTP.

moto assumes any role in any account, and requests signed with the assumed credentials reach
that account's own IAM backend, so each session can be checked to act as its own account.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stalecreds.aws.assume import account_session
from stalecreds.aws.session import iam_client, preload_models
from tests.org_helpers import ROLE, new_session

ACCOUNTS = ("210000007919", "210000015838", "210000023757")


def assumed(base: Any, account_id: str) -> Any:
    return account_session(base, account_id, partition="aws", role_name=ROLE)


def loader_of(session: Any) -> Any:
    return session._session.get_component("data_loader")


def signed_as(session: Any) -> str:
    """The account an STS GetCallerIdentity signed by ``session`` is answered for."""
    return str(session.client("sts").get_caller_identity()["Account"])


@pytest.fixture
def base(moto_endpoint: str) -> Any:
    """The caller's session, its models loaded, as ``live_account_scanner`` prepares it."""
    session = new_session()
    preload_models(session)
    return session


def test_assumed_sessions_share_the_callers_data_loader(base: Any) -> None:
    sessions = [assumed(base, account_id) for account_id in ACCOUNTS]

    assert all(loader_of(session) is loader_of(base) for session in sessions)
    # The loader parses a document once and then serves that same object to every session.
    loader = loader_of(base)
    assert loader.load_service_model("iam", "service-2") is loader.load_service_model(
        "iam", "service-2"
    )


def test_each_assumed_session_keeps_its_own_credentials(base: Any) -> None:
    sessions = [assumed(base, account_id) for account_id in ACCOUNTS]

    keys = [session.get_credentials().get_frozen_credentials().access_key for session in sessions]
    assert len(set(keys)) == len(ACCOUNTS)
    assert base.get_credentials().access_key not in keys
    assert [signed_as(session) for session in sessions] == list(ACCOUNTS)


def test_sessions_made_and_used_on_many_threads_at_once_act_as_their_own_account(
    base: Any,
) -> None:
    tasks = list(enumerate(ACCOUNTS * 3))

    def make_user(task: tuple[int, str]) -> str:
        index, account_id = task
        session = assumed(base, account_id)
        iam_client(session).create_user(UserName=f"user-{index}")
        return signed_as(session)

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        signed = list(pool.map(make_user, tasks))

    assert signed == [account_id for _, account_id in tasks]
    for account_id in ACCOUNTS:
        users = iam_client(assumed(base, account_id)).list_users()["Users"]
        expected = {f"user-{index}" for index, owner in tasks if owner == account_id}
        assert {user["UserName"] for user in users} == expected


def test_assumed_credentials_still_refresh(base: Any) -> None:
    issued: list[str] = []

    def expiring_soon(parsed: dict[str, Any], **_: Any) -> None:
        # moto cannot make an hour pass: its credentials are said to expire in one minute,
        # inside botocore's refresh window, so the next request must assume the role again.
        parsed["Credentials"]["Expiration"] = datetime.now(UTC) + timedelta(minutes=1)
        issued.append(parsed["Credentials"]["AccessKeyId"])

    base._session.register("after-call.sts.AssumeRole", expiring_soon)
    session = assumed(base, ACCOUNTS[0])
    iam = iam_client(session)

    iam.create_user(UserName="after-refresh")  # signed with refreshed credentials

    assert len(issued) >= 2  # assumed when the session was made, and again before the call
    assert len(set(issued)) == len(issued)
    assert session.get_credentials().get_frozen_credentials().access_key in issued[1:]
    assert signed_as(session) == ACCOUNTS[0]
    assert [user["UserName"] for user in iam.list_users()["Users"]] == ["after-refresh"]
