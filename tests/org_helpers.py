"""An AWS Organization on the moto server, member accounts seeded over HTTP, faults per account.

moto models Organizations (accounts, OUs, ``CloseAccount`` → ``SUSPENDED``) and STS
``AssumeRole`` into member accounts: requests signed with the assumed credentials reach that
account's own IAM backend. Each member account is seeded over HTTP through the role, as
stalecreds reaches it, and its dates are then set on moto's in-process backend of that account
(moto cannot be told dates over HTTP), as ``tests.conftest.seed_user`` does for the default one.

What moto cannot do is filled in by :class:`AccountFaults`, on botocore's event system:

* moto's ``AssumeRole`` never checks that the role exists (any role in any account is assumed),
  so "the role is missing in this account" is an ``AccessDenied`` answered to that account's
  ``AssumeRole`` (the role ARN is read from the request body);
* moto's IAM cannot deny one call in one account, so "this account denies
  ``iam:GenerateCredentialReport``" is an ``AccessDenied`` answered to requests signed with that
  account's assumed credentials.

The command line builds its own sessions, so the faults are attached where stalecreds assumes a
role: ``stalecreds.aws.assume.assume_role`` (aws-assume-role-lib's function) is wrapped so that the
caller's session gets the ``AssumeRole`` handler before the role is assumed, and the assumed
session gets the IAM handlers of its account. Everything else goes to moto unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import pytest
from botocore.awsrequest import AWSResponse

from tests.conftest import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, MOTO_ACCOUNT_ID, SeedKey
from tests.fault_injection import access_denied

MANAGEMENT = MOTO_ACCOUNT_ID
"""The caller's account: moto's default, which becomes the organisation's management account."""
ROLE = "OrganizationAccountAccessRole"
CALLER_ARN = f"arn:aws:sts::{MOTO_ACCOUNT_ID}:user/moto"
"""Who the fake credentials are to moto's STS."""
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"


def new_session() -> Any:
    """A fresh boto3 session with the fake credentials (its events are the test's own)."""
    import boto3

    return boto3.Session(
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        region_name="us-east-1",
    )


def member_iam(session: Any, account_id: str, role: str = ROLE) -> Any:
    """An IAM client signed for ``account_id`` through ``role`` (session name ``seed``).

    One ``AssumeRole`` by hand, and the client made from ``session`` (whose loader has the
    models cached): aws-assume-role-lib's session would be a new botocore session per account.
    """
    sts = session.client("sts")
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="seed"
    )["Credentials"]
    return session.client(
        "iam",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def iam_backend(account_id: str) -> Any:
    """moto's in-process IAM backend of ``account_id``."""
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def seed_member_user(
    iam: Any,
    account_id: str,
    name: str,
    *,
    created: datetime,
    password: bool = False,
    password_used: datetime | None = None,
    keys: tuple[SeedKey, ...] = (),
) -> list[str]:
    """``tests.conftest.seed_user`` for any account: create over HTTP, then set the dates.

    ``iam`` must be signed for ``account_id``. Returns the key IDs in creation order.
    """
    from moto.iam.models import AccessKeyLastUsed

    iam.create_user(UserName=name)
    if password:
        iam.create_login_profile(UserName=name, Password="Seeded-password-1!")
    ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in keys]
    for key_id, key in zip(ids, keys, strict=True):
        if not key.active:
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    user = iam_backend(account_id).users[name]
    user.create_date = created
    user.password_last_used = password_used
    for stored, key in zip(user.access_keys, keys, strict=True):
        stored.create_date = key.created
        if key.used is not None:
            stored.last_used = AccessKeyLastUsed(key.used, key.service, key.region)
    return ids


class Organization:
    """An organisation created over HTTP by the management account (the fake credentials)."""

    def __init__(self, session: Any) -> None:
        self.client = session.client("organizations")
        self.client.create_organization(FeatureSet="ALL")
        self.root = self.client.list_roots()["Roots"][0]["Id"]

    def add_ou(self, name: str, parent: str | None = None) -> str:
        unit = self.client.create_organizational_unit(ParentId=parent or self.root, Name=name)
        return str(unit["OrganizationalUnit"]["Id"])

    def add_account(self, name: str, ou: str | None = None) -> str:
        status = self.client.create_account(Email=f"{name}@example.com", AccountName=name)
        account_id = str(status["CreateAccountStatus"]["AccountId"])
        if ou is not None:
            self.client.move_account(
                AccountId=account_id, SourceParentId=self.root, DestinationParentId=ou
            )
        return account_id


def _sts_error(code: str, status: int, message: str) -> AWSResponse:
    body = (
        f"<ErrorResponse xmlns={STS_XMLNS!r}><Error><Type>Sender</Type><Code>{escape(code)}"
        f"</Code><Message>{escape(message)}</Message></Error>"
        "<RequestId>fault-injection</RequestId></ErrorResponse>"
    ).encode()

    class Raw:
        def stream(self, **_: Any) -> Any:
            yield body

    return AWSResponse(
        "https://sts.amazonaws.com/",
        status,
        {"Content-Type": "text/xml", "x-amzn-RequestId": "fault-injection"},
        Raw(),
    )


class AssumeCall(NamedTuple):
    """One ``AssumeRole`` HTTP attempt as sent: the account, role, session name, external ID."""

    account_id: str
    role_name: str
    session_name: str | None
    external_id: str | None


class AccountFaults:
    """Per-account faults moto cannot produce; see the module docstring.

    ``deny_assume`` holds accounts whose ``AssumeRole`` answers ``AccessDenied`` (the role is
    missing, or does not trust the caller); ``deny_iam`` maps an account to the IAM operations
    (``GenerateCredentialReport``) its assumed credentials may not call. ``assume_calls``
    records every ``AssumeRole`` attempt. Handlers run on the scan's worker threads: locked.
    """

    def __init__(self) -> None:
        self.deny_assume: set[str] = set()
        self.deny_iam: dict[str, set[str]] = {}
        self.assume_calls: list[AssumeCall] = []
        self._lock = threading.Lock()

    # -- AssumeRole, on the caller's session --------------------------------------------------

    def attach(self, session: Any) -> None:
        """Answer ``AssumeRole`` on clients of ``session`` made from now on (idempotent)."""
        session._session.register(
            "before-send.sts.AssumeRole", self._assume_role, unique_id="account-faults-assume"
        )

    def _assume_role(self, request: Any, **_: Any) -> AWSResponse | None:
        body = request.body
        text = body.decode() if isinstance(body, bytes) else str(body or "")
        form = {k: v[0] for k, v in parse_qs(text).items()}
        arn = form.get("RoleArn", "")
        parts = arn.split(":", 5)
        account_id = parts[4] if len(parts) == 6 else ""
        call = AssumeCall(
            account_id,
            parts[5].split("/", 1)[-1] if len(parts) == 6 else "",
            form.get("RoleSessionName"),
            form.get("ExternalId"),
        )
        with self._lock:
            self.assume_calls.append(call)
            denied = account_id in self.deny_assume
        if not denied:
            return None
        # Real STS words it so whether the role is missing or does not trust the caller.
        return _sts_error(
            "AccessDenied",
            403,
            f"User: {CALLER_ARN} is not authorized to perform: sts:AssumeRole on resource: {arn}",
        )

    def assumed_accounts(self) -> list[str]:
        with self._lock:
            return sorted({call.account_id for call in self.assume_calls})

    # -- IAM in one account, on the assumed session -------------------------------------------

    def _deny_iam_handler(self, account_id: str, role_arn: str) -> Callable[..., Any]:
        session_arn = role_arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")

        def deny(event_name: str, **_: Any) -> AWSResponse | None:
            operation = event_name.rsplit(".", 1)[-1]
            with self._lock:
                denied = operation in self.deny_iam.get(account_id, set())
            if not denied:
                return None
            return access_denied(f"iam:{operation}", f"{session_arn}/stalecreds")

        return deny

    def install(self, monkeypatch: pytest.MonkeyPatch) -> AccountFaults:
        """Wrap ``stalecreds.aws.assume.assume_role``: every session it makes carries the faults."""
        import stalecreds.aws.assume

        real = stalecreds.aws.assume.assume_role

        def assume_role(session: Any, role_arn: str, **kwargs: Any) -> Any:
            self.attach(session)
            assumed = real(session, role_arn, **kwargs)
            account_id = role_arn.split(":")[4]
            assumed._session.register(
                "before-send.iam", self._deny_iam_handler(account_id, role_arn)
            )
            return assumed

        monkeypatch.setattr(stalecreds.aws.assume, "assume_role", assume_role)
        return self
