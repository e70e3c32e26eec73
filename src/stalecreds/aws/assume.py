"""Sessions in other accounts: STS ``AssumeRole`` with credentials that refresh for long runs.

Uses aws-assume-role-lib (session in, session out; botocore refreshes the credentials before
they expire). The role ARN's partition is the caller's (``aws``, ``aws-cn``, ``aws-us-gov``),
never assumed to be ``aws``.
"""

from __future__ import annotations

import boto3
from aws_assume_role_lib.aws_assume_role_lib import assume_role

from stalecreds.aws.live_options import DEFAULT_ROLE_NAME
from stalecreds.aws.session import aws_errors, share_models

__all__ = ["DEFAULT_ROLE_NAME", "SESSION_NAME", "account_session", "partition_of", "role_arn"]

SESSION_NAME = "stalecreds"
"""``RoleSessionName``: how stalecreds' calls show in CloudTrail of the target account."""


def partition_of(arn: str) -> str:
    """The partition of an ARN (``arn:aws-cn:…`` gives ``aws-cn``)."""
    parts = arn.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "arn" and parts[1] else "aws"


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """The ARN of ``role_name`` in ``account_id`` within ``partition``."""
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def account_session(
    base: boto3.Session,
    account_id: str,
    *,
    partition: str,
    role_name: str = DEFAULT_ROLE_NAME,
    external_id: str | None = None,
) -> boto3.Session:
    """A session in ``account_id`` through ``role_name``, assumed now (so failures show here).

    The session has its own credentials, refreshed by botocore before they expire (each
    refresh is an ``AssumeRole`` signed by ``base``), and reads botocore's models through
    ``base``'s data loader (:func:`~stalecreds.aws.session.share_models`): parsed once per process.
    Raises :class:`~stalecreds.errors.AwsError` for action ``sts:AssumeRole``, also when botocore
    refuses the parameters (``ParamValidationError``: a bad role name or external ID).
    """
    with aws_errors("sts:AssumeRole"):
        session: boto3.Session = assume_role(
            base,
            role_arn(partition, account_id, role_name),
            RoleSessionName=SESSION_NAME,
            ExternalId=external_id,  # type: ignore[arg-type]  # the library accepts None
            region_name=base.region_name,
            # The library would make an STS client per call just to validate the parameters;
            # botocore validates them anyway when the credentials are fetched, just below.
            validate=False,
        )
        share_models(session, base)
        # The library assumes lazily; fetch now so a missing role fails here, as AssumeRole.
        credentials = session.get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()
    return session
