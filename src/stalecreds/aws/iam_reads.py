"""The IAM read calls stalecreds makes, each a thin wrapper returning model values.

Every method raises :class:`~stalecreds.errors.AwsError` naming the IAM action when the call fails
after botocore's retries. Paginated calls use boto3's paginators (they follow ``IsTruncated`` and
``Marker``). No method is ever called for the root user (``<root_account>`` is not an IAM user).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple

from stalecreds.aws.key_ids import ListedKey
from stalecreds.aws.session import aws_errors
from stalecreds.errors import AwsError
from stalecreds.model import LastUse, Status

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

LIST_USERS_PAGE_SIZE = 1000
"""``MaxItems`` for ListUsers: the largest IAM allows, so 5,000 users take five calls."""

AUTHORIZATION_DETAILS_PAGE_SIZE = 1000
"""``MaxItems`` for GetAccountAuthorizationDetails: the largest IAM allows (it may return fewer)."""


class ApiUser(NamedTuple):
    """One ``ListUsers`` entry: name, ARN, path, ``CreateDate`` and ``PasswordLastUsed``."""

    name: str
    arn: str
    path: str
    created: datetime
    password_last_used: datetime | None


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _status(value: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        return Status.INACTIVE  # an unknown status is treated as not usable


class IamReads:
    """Read-only IAM calls over one (thread-safe) client, safe to call from many threads.

    The paginators are made here, once, on the constructing thread: that loads IAM's paginator
    definitions before any worker thread needs them (threads making their first paginator at
    the same moment would each load them), and a paginator only holds configuration.
    """

    def __init__(self, iam: IAMClient) -> None:
        self.iam = iam
        self._list_users = iam.get_paginator("list_users")
        self._list_access_keys = iam.get_paginator("list_access_keys")
        self._list_user_tags = iam.get_paginator("list_user_tags")
        self._authorization_details = iam.get_paginator("get_account_authorization_details")

    def list_users(self) -> Iterator[ApiUser]:
        """Every IAM user (``iam:ListUsers``), following ``IsTruncated`` page by page."""
        with aws_errors("iam:ListUsers"):
            for page in self._list_users.paginate(
                PaginationConfig={"PageSize": LIST_USERS_PAGE_SIZE}
            ):
                for user in page["Users"]:
                    used = user.get("PasswordLastUsed")
                    yield ApiUser(
                        user["UserName"],
                        user["Arn"],
                        user.get("Path", "/"),
                        _utc(user["CreateDate"]),
                        None if used is None else _utc(used),
                    )

    def list_access_keys(self, user: str) -> list[ListedKey]:
        """The user's access keys (``iam:ListAccessKeys``), in IAM's order."""
        keys: list[ListedKey] = []
        with aws_errors("iam:ListAccessKeys"):
            for page in self._list_access_keys.paginate(UserName=user):
                keys.extend(
                    ListedKey(
                        key["AccessKeyId"],
                        _status(key.get("Status", "Inactive")),
                        _utc(key["CreateDate"]),
                    )
                    for key in page["AccessKeyMetadata"]
                )
        return keys

    def access_key_last_used(self, access_key_id: str) -> LastUse | None:
        """The key's last use (``iam:GetAccessKeyLastUsed``), or ``None`` when none is recorded.

        ``Region`` and ``ServiceName`` of ``N/A`` become ``None`` (S3 is not regional).
        """
        with aws_errors("iam:GetAccessKeyLastUsed"):
            response = self.iam.get_access_key_last_used(AccessKeyId=access_key_id)
            last = response["AccessKeyLastUsed"]
            used = last.get("LastUsedDate")
        if used is None:
            return None
        region = last.get("Region")
        service = last.get("ServiceName")
        return LastUse(
            _utc(used),
            None if region in (None, "N/A") else region,
            None if service in (None, "N/A") else service,
        )

    def login_profile_created(self, user: str) -> datetime | None:
        """When the user's console password was created (``iam:GetLoginProfile``).

        ``None`` when the user has no password (``NoSuchEntity``, HTTP 404).
        """
        try:
            with aws_errors("iam:GetLoginProfile"):
                response = self.iam.get_login_profile(UserName=user)
                created = response["LoginProfile"]["CreateDate"]
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return None
            raise
        return _utc(created)

    def user_exists(self, user: str) -> bool:
        """Whether IAM has the user (``iam:GetUser``; ``NoSuchEntity`` means it does not)."""
        try:
            with aws_errors("iam:GetUser"):
                self.iam.get_user(UserName=user)
        except AwsError as error:
            if error.code == "NoSuchEntity":
                return False
            raise
        return True

    def password_last_used(self, user: str) -> datetime | None:
        """The user's last console sign-in (``iam:GetUser`` ``PasswordLastUsed``), or ``None``."""
        with aws_errors("iam:GetUser"):
            used = self.iam.get_user(UserName=user)["User"].get("PasswordLastUsed")
        return None if used is None else _utc(used)

    def user_tags(self, user: str) -> dict[str, str]:
        """The user's tags (``iam:ListUserTags``)."""
        tags: dict[str, str] = {}
        with aws_errors("iam:ListUserTags"):
            for page in self._list_user_tags.paginate(UserName=user):
                for tag in page["Tags"]:
                    tags[tag["Key"]] = tag["Value"]
        return tags

    def all_user_tags(self) -> dict[str, dict[str, str]]:
        """Every IAM user's tags, by user name, up to 1,000 users a call.

        From ``iam:GetAccountAuthorizationDetails`` with ``Filter=User`` (``UserDetailList[]``
        ``UserName`` and ``Tags``), following ``IsTruncated``. One call per page instead of one
        ``ListUserTags`` per user; it needs a broader permission than the other reads (it returns
        the users' policies too, which are not read here).
        """
        tags: dict[str, dict[str, str]] = {}
        with aws_errors("iam:GetAccountAuthorizationDetails"):
            for page in self._authorization_details.paginate(
                Filter=["User"],
                PaginationConfig={"PageSize": AUTHORIZATION_DETAILS_PAGE_SIZE},
            ):
                for user in page.get("UserDetailList", []):
                    tags[user["UserName"]] = {
                        tag["Key"]: tag["Value"] for tag in user.get("Tags", [])
                    }
        return tags
