"""Member accounts' root credentials through centralized root access (``sts:AssumeRoot``).

Facts (``shared/spec/beyond-passwords-and-keys.md``; IAM User Guide, "Centrally manage root
access for member accounts"; STS API reference, ``AssumeRoot``):

* The Organization feature ``RootCredentialsManagement`` (``iam:ListOrganizationsFeatures``
  ``EnabledFeatures``) lets the management account, or the IAM delegated administrator, audit
  and delete the root credentials of member accounts, with no role in the member account.
* ``sts:AssumeRoot(TargetPrincipal=<member account ID>, TaskPolicyArn={"arn": …},
  DurationSeconds<=900)`` is answered only on regional STS endpoints. The session can do only
  what its task policy allows: ``IAMAuditRootUserCredentials`` (``GetUser``,
  ``GetLoginProfile``, ``ListAccessKeys``, ``GetAccessKeyLastUsed``,
  ``ListSigningCertificates``, ``ListMFADevices``, ``GetAccountSummary``) or
  ``IAMDeleteRootUserCredentials`` (delete the login profile, access keys and signing
  certificates; deactivate MFA devices), each on the root user only: the calls take no
  ``UserName``.
* The management account's own root cannot be reached this way and is never touched.

Every call raises :class:`~stalecreds.errors.AwsError` naming the action. A session lasts at most
:data:`MAX_SESSION_SECONDS` and botocore renews it (another ``AssumeRoot``) before it expires.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from stalecreds.aws.session import CLIENT_CONFIG, aws_errors, iam_client, share_models
from stalecreds.errors import AwsError
from stalecreds.model import (
    AccessKey,
    LastUse,
    MfaDevice,
    Password,
    SigningCertificate,
    Status,
    UserCredentials,
)
from stalecreds.rules.facts import ROOT_USER_NAME

if TYPE_CHECKING:
    import boto3
    from botocore.credentials import RefreshableCredentials
    from mypy_boto3_iam import IAMClient

ROOT_CREDENTIALS_MANAGEMENT = "RootCredentialsManagement"
"""The ``EnabledFeatures`` value of centralized root credentials management."""

AUDIT_TASK_POLICY = "IAMAuditRootUserCredentials"
"""The task policy of a scan: read the member root's credentials."""

DELETE_TASK_POLICY = "IAMDeleteRootUserCredentials"
"""The task policy of remediation: delete (or, for MFA devices, deactivate) root credentials."""

MAX_SESSION_SECONDS = 900
"""``AssumeRoot`` ``DurationSeconds``: its maximum, 15 minutes."""

DEFAULT_REGION = "us-east-1"
"""The STS region when the session names none (``AssumeRoot`` needs a regional endpoint)."""

_DISABLED_CODES = frozenset(
    {
        "OrganizationNotFoundException",
        "OrganizationNotInAllFeaturesModeException",
        "ServiceAccessNotEnabledException",
    }
)
"""``ListOrganizationsFeatures`` errors that mean "no centralized root access", not a failure."""


def task_policy_arn(partition: str, name: str) -> str:
    """``arn:<partition>:iam::aws:policy/root-task/<name>``, the ARN of an AWS task policy."""
    return f"arn:{partition}:iam::aws:policy/root-task/{name}"


def root_arn(partition: str, account_id: str) -> str:
    """The root user's ARN, as the credential report's ``arn`` column gives it."""
    return f"arn:{partition}:iam::{account_id}:root"


class RootFeatures(NamedTuple):
    """What ``iam:ListOrganizationsFeatures`` says: the features enabled, or why none are."""

    enabled: frozenset[str]
    note: str | None = None

    @property
    def credentials_management(self) -> bool:
        """True when ``RootCredentialsManagement`` is enabled."""
        return ROOT_CREDENTIALS_MANAGEMENT in self.enabled


def organization_root_features(iam: IAMClient) -> RootFeatures:
    """The centralized root access features of the caller's Organization.

    ``iam`` is signed by the management account or the delegated administrator. An Organization
    that is missing, not in all-features mode or without IAM trusted access has none (``note``
    says which). Raises :class:`AwsError` for ``iam:ListOrganizationsFeatures`` otherwise
    (``AccessDenied``: the caller's policy lacks the action).
    """
    try:
        with aws_errors("iam:ListOrganizationsFeatures"):
            response = iam.list_organizations_features()
    except AwsError as error:
        if error.code in _DISABLED_CODES:
            return RootFeatures(frozenset(), f"{error.code}: {error.message}")
        raise
    return RootFeatures(frozenset(str(f) for f in response.get("EnabledFeatures", ())))


def regional_sts(base: boto3.Session) -> Any:
    """An STS client on a regional endpoint (``AssumeRoot`` is refused on the global one).

    The region is the session's, else :data:`DEFAULT_REGION`. botocore uses regional STS
    endpoints by default; a configuration that asks for the legacy global endpoint is
    overridden with the region's own.
    """
    region = base.region_name or DEFAULT_REGION
    sts = base.client("sts", region_name=region, config=CLIENT_CONFIG)
    if sts.meta.endpoint_url.rstrip("/").endswith("://sts.amazonaws.com"):
        partition = sts.meta.partition
        suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        sts = base.client(
            "sts",
            region_name=region,
            endpoint_url=f"https://sts.{region}.{suffix}",
            config=CLIENT_CONFIG,
        )
    return sts


def _refreshable_credentials() -> type[RefreshableCredentials]:
    """Botocore's refreshable credentials, renewed 5 minutes before a 15-minute session ends.

    botocore's defaults (renew when 15 minutes are left) would renew a 15-minute session on
    every call.
    """
    from botocore.credentials import RefreshableCredentials

    class RootSessionCredentials(RefreshableCredentials):
        _advisory_refresh_timeout = 5 * 60
        _mandatory_refresh_timeout = 2 * 60

    return RootSessionCredentials


def root_session(
    base: boto3.Session, account_id: str, task_policy: str, *, partition: str, sts: Any = None
) -> boto3.Session:
    """A session as the root user of member ``account_id``, limited by ``task_policy``.

    ``sts:AssumeRoot`` is called now (so a refusal shows here) on a regional endpoint
    (:func:`regional_sts`), with ``DurationSeconds`` :data:`MAX_SESSION_SECONDS`; botocore calls
    it again before the credentials expire. Raises :class:`AwsError` for ``sts:AssumeRoot``.
    """
    import boto3
    import botocore.session

    client = sts if sts is not None else regional_sts(base)
    arn = task_policy_arn(partition, task_policy)

    def fetch() -> dict[str, str]:
        with aws_errors("sts:AssumeRoot"):
            response = client.assume_root(
                TargetPrincipal=account_id,
                TaskPolicyArn={"arn": arn},
                DurationSeconds=MAX_SESSION_SECONDS,
            )
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].astimezone(UTC).isoformat(),
        }

    credentials = _refreshable_credentials().create_from_metadata(fetch(), fetch, "sts-assume-root")
    core = botocore.session.get_session()
    # How botocore sessions take given credentials (aws-assume-role-lib does the same).
    core._credentials = credentials  # type: ignore[attr-defined]
    session = boto3.Session(botocore_session=core, region_name=base.region_name or DEFAULT_REGION)
    share_models(session, base)
    return session


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        return Status.INACTIVE  # an unknown status is treated as not usable


class RootReads:
    """The root-scoped IAM calls of an ``AssumeRoot`` session (no ``UserName`` anywhere)."""

    def __init__(self, iam: IAMClient) -> None:
        self.iam = iam

    def user(self) -> tuple[str, datetime, datetime | None]:
        """``iam:GetUser``: the root's ARN, ``CreateDate`` and ``PasswordLastUsed``."""
        with aws_errors("iam:GetUser"):
            user = self.iam.get_user()["User"]
        used = user.get("PasswordLastUsed")
        return str(user["Arn"]), _utc(user["CreateDate"]), None if used is None else _utc(used)

    def login_profile(self) -> datetime | None:
        """``iam:GetLoginProfile``: when the root password was set; ``None`` when there is none."""
        try:
            with aws_errors("iam:GetLoginProfile"):
                response = self.iam.get_login_profile()
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return None
            raise
        return _utc(response["LoginProfile"]["CreateDate"])

    def access_keys(self) -> list[tuple[str, Status, datetime]]:
        """``iam:ListAccessKeys``: the root's keys (ID, status, ``CreateDate``), in IAM's order."""
        keys: list[tuple[str, Status, datetime]] = []
        with aws_errors("iam:ListAccessKeys"):
            for page in self.iam.get_paginator("list_access_keys").paginate():
                keys.extend(
                    (
                        str(key["AccessKeyId"]),
                        _status(key.get("Status", "Inactive")),
                        _utc(key["CreateDate"]),
                    )
                    for key in page["AccessKeyMetadata"]
                )
        return keys

    def last_used(self, access_key_id: str) -> LastUse | None:
        """``iam:GetAccessKeyLastUsed``; ``None`` when no use is recorded."""
        with aws_errors("iam:GetAccessKeyLastUsed"):
            last = self.iam.get_access_key_last_used(AccessKeyId=access_key_id)
        used = last["AccessKeyLastUsed"].get("LastUsedDate")
        if used is None:
            return None
        region = last["AccessKeyLastUsed"].get("Region")
        service = last["AccessKeyLastUsed"].get("ServiceName")
        return LastUse(
            _utc(used),
            None if region in (None, "N/A") else region,
            None if service in (None, "N/A") else service,
        )

    def certificates(self) -> list[SigningCertificate]:
        """``iam:ListSigningCertificates``: the root's certificates, with their IDs."""
        certificates: list[SigningCertificate] = []
        with aws_errors("iam:ListSigningCertificates"):
            for page in self.iam.get_paginator("list_signing_certificates").paginate():
                for cert in page["Certificates"]:
                    certificates.append(
                        SigningCertificate(
                            len(certificates) + 1,
                            _status(cert.get("Status", "Inactive")),
                            _utc(cert["UploadDate"]) if cert.get("UploadDate") else None,
                            str(cert["CertificateId"]),
                        )
                    )
        return certificates

    def mfa_devices(self) -> list[MfaDevice]:
        """``iam:ListMFADevices``: the root's MFA devices (serial number, ``EnableDate``)."""
        devices: list[MfaDevice] = []
        with aws_errors("iam:ListMFADevices"):
            for page in self.iam.get_paginator("list_mfa_devices").paginate():
                for device in page["MFADevices"]:
                    devices.append(
                        MfaDevice(
                            len(devices) + 1,
                            str(device["SerialNumber"]),
                            _utc(device["EnableDate"]),
                        )
                    )
        return devices


def read_root_credentials(
    reads: RootReads, account_id: str, partition: str, account_name: str | None = None
) -> UserCredentials:
    """The member root user's credentials, as :class:`UserCredentials` with ``root_access``.

    Password: ``GetLoginProfile`` ``CreateDate`` and ``GetUser`` ``PasswordLastUsed``; access
    keys with their IDs and last use; signing certificates with their IDs; MFA devices.
    Raises :class:`AwsError` naming the call that failed.
    """
    _, created, password_used = reads.user()
    password_set = reads.login_profile()
    password = None if password_set is None else Password(password_set, password_used)
    keys = tuple(
        AccessKey(None, key_id, status, key_created, reads.last_used(key_id))
        for key_id, status, key_created in reads.access_keys()
    )
    devices = tuple(reads.mfa_devices())
    return UserCredentials(
        ROOT_USER_NAME,
        root_arn(partition, account_id),
        account_id,
        partition,
        True,
        created,
        bool(devices),
        password,
        keys,
        tuple(reads.certificates()),
        None,
        None,
        account_name,
        devices,
        True,
    )


def member_root_reader(
    base: boto3.Session, partition: str
) -> Callable[[str, str | None], UserCredentials]:
    """A function that reads one member account's root credentials through ``AssumeRoot``.

    Made on the calling thread (its STS client is shared by the worker threads: clients are
    thread-safe). The function takes the account ID and name and raises :class:`AwsError`.
    """
    sts = regional_sts(base)

    def read(account_id: str, account_name: str | None) -> UserCredentials:
        session = root_session(base, account_id, AUDIT_TASK_POLICY, partition=partition, sts=sts)
        reads = RootReads(iam_client(session))
        return read_root_credentials(reads, account_id, partition, account_name)

    return read
