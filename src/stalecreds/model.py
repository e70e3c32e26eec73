"""The typed model of IAM user credentials, as read from a credential report or the IAM API.

Every timestamp is an aware ``datetime`` in UTC. Special report values (``N/A``,
``no_information``, ``not_supported``) never reach this layer: they become ``None`` or a missing
credential.

The value types are ``NamedTuple``s: immutable and typed like frozen dataclasses, but five times
cheaper to build, which matters for reports of a million rows.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NamedTuple


class CredentialKind(enum.StrEnum):
    """What kind of credential an entry is. The value is the JSON/CSV ``kind`` field."""

    PASSWORD = "password"
    """A console password (an IAM login profile, or the root user's password)."""
    ACCESS_KEY = "access_key"
    """An access key (``AKIA…``) for signing API requests."""
    SIGNING_CERTIFICATE = "signing_certificate"
    """An X.509 signing certificate. IAM does not record when one is used."""
    MFA_DEVICE = "mfa_device"
    """An MFA device of a member account's root user, read through centralized root access
    (``ListMFADevices``). IAM does not record when one is used."""


class Status(enum.StrEnum):
    """Whether a key or certificate can be used, as IAM names it (``ListAccessKeys`` ``Status``)."""

    ACTIVE = "Active"
    INACTIVE = "Inactive"
    EXPIRED = "Expired"
    """In the current IAM model (``statusType``); treated like ``Inactive``: not usable."""


class LastUse(NamedTuple):
    """The last recorded use of an access key.

    Source: report columns ``access_key_N_last_used_date/_region/_service`` (11-13, 16-18) or
    ``GetAccessKeyLastUsed`` ``AccessKeyLastUsed``. ``region`` is ``None`` for services that are not
    regional (S3 shows ``N/A`` there); ``service`` is the service namespace (``s3``, ``sts`` …).
    """

    at: datetime
    region: str | None
    service: str | None


class Password(NamedTuple):
    """A console password that exists (report ``password_enabled`` true, or a login profile).

    ``set_at`` is when the password was last set (report ``password_last_changed``, API
    ``LoginProfile.CreateDate``), ``None`` when unknown; ``last_used`` is the last recorded sign-in
    (report ``password_last_used``, API ``PasswordLastUsed``), ``None`` when none is recorded.
    ``lookup_error`` says which live IAM call failed when the evidence could not be read; such a
    password's verdict is ``unknown``.
    """

    set_at: datetime | None
    last_used: datetime | None
    lookup_error: str | None = None


class AccessKey(NamedTuple):
    """An access key that exists (its ``access_key_N_last_rotated`` is a date).

    ``slot`` is 1 or 2 for report keys, ``None`` when the key came from the API. ``created`` is
    when the key was created or last changed (report ``access_key_N_last_rotated``, API
    ``CreateDate``). ``access_key_id`` is ``None`` when unknown (the report has no key IDs).
    ``lookup_error`` says which live IAM call failed when the evidence could not be read; such a
    key's verdict is ``unknown``.
    """

    slot: int | None
    access_key_id: str | None
    status: Status
    created: datetime
    last_use: LastUse | None
    lookup_error: str | None = None


class SigningCertificate(NamedTuple):
    """An X.509 signing certificate (report ``cert_N_active`` / ``cert_N_last_rotated``).

    ``created`` is ``None`` when the report gives no date. ``certificate_id`` is the
    ``ListSigningCertificates`` ``CertificateId`` when read from the API, else ``None``; such a
    certificate's ``slot`` is its 1-based place in that listing.
    """

    slot: int
    status: Status
    created: datetime | None
    certificate_id: str | None = None


class MfaDevice(NamedTuple):
    """An MFA device of a root user (``ListMFADevices`` ``SerialNumber`` and ``EnableDate``).

    ``slot`` is its 1-based place in that listing; ``serial_number`` is the device's ID (an ARN
    for a virtual device); ``enabled`` is when it was enabled (aware UTC).
    """

    slot: int
    serial_number: str
    enabled: datetime


Credential = Password | AccessKey | SigningCertificate | MfaDevice
"""Any one credential of a user."""


class UserCredentials(NamedTuple):
    """One IAM principal and the credentials it has: one row of a credential report.

    ``user`` is the IAM user name, or ``<root_account>`` for the root user. ``account_id`` and
    ``partition`` (``aws``, ``aws-cn``, ``aws-us-gov``) come from ``arn``. ``created`` is the
    report's ``user_creation_time`` (for root: when the account was created). ``mfa_active`` is
    ``None`` when the source does not say (the IAM API path does not list MFA devices). ``line``
    is the report line the row started on, or ``None`` when not from a report. ``exemption`` is
    the reason the user is exempt from findings (an IAM tag or a config rule), or ``None``.
    ``account_name`` is the account's name in AWS Organizations, when known.
    ``mfa_devices`` are listed only for a root user read through centralized root access
    (``root_access`` true: ``sts:AssumeRoot`` into a member account of an Organization that has
    root credentials management enabled); a credential report lists none.
    ``source_file`` is the report file the row came from when a scan read several (a
    ``--report`` folder), else ``None``.
    """

    user: str
    arn: str
    account_id: str
    partition: str
    is_root: bool
    created: datetime
    mfa_active: bool | None
    password: Password | None
    access_keys: tuple[AccessKey, ...]
    certificates: tuple[SigningCertificate, ...]
    line: int | None = None
    exemption: str | None = None
    account_name: str | None = None
    mfa_devices: tuple[MfaDevice, ...] = ()
    root_access: bool = False
    source_file: str | None = None


def iam_path(arn: str) -> str | None:
    """The IAM path in a user's ARN (``/`` or ``/engineering/``); ``None`` for other ARNs (root).

    Source: the ``arn`` report column, ``arn:PARTITION:iam::ACCOUNT:user/PATH/NAME``.
    """
    _, _, resource = arn.partition(":user/")
    if not resource:
        return None
    head, slash, _ = resource.rpartition("/")
    return f"/{head}/" if slash else "/"


class Caller(NamedTuple):
    """Who runs the plan.

    ``arn`` and ``account_id`` come from STS ``GetCallerIdentity``; ``access_key_id`` is the key
    the session signs with (``None`` when unknown).
    """

    arn: str
    account_id: str
    access_key_id: str | None
