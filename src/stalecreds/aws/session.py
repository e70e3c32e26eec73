"""The boto3 edge: sessions, IAM clients with adaptive retries, and AWS errors as one line.

Everything that talks to AWS goes through a client made here. boto3's own credential chain,
``--profile``/``--region`` and ``AWS_ENDPOINT_URL`` (how the tests reach a local moto server)
are honoured as boto3 does; throttling of ordinary calls is retried by botocore's adaptive retry
mode, not by our code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from stalecreds import __version__
from stalecreds.errors import AwsError, ConfigError
from stalecreds.model import Caller

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

__all__ = [
    "AwsError",
    "aws_errors",
    "caller_identity",
    "iam_client",
    "make_session",
    "preload_models",
    "share_models",
]

MAX_ATTEMPTS = 10
"""Attempts per API call, first included, under botocore's adaptive retry mode."""

CLIENT_CONFIG = Config(
    # NOTE: botocore's "max_attempts" counts retries after the first try; "total_max_attempts"
    # counts every attempt, as MAX_ATTEMPTS does.
    retries={"mode": "adaptive", "total_max_attempts": MAX_ATTEMPTS},
    user_agent_extra=f"stalecreds/{__version__}",
)
"""Client configuration: adaptive retries (throttling backs off client-side) and our user agent."""


def error_code(error: ClientError) -> str:
    """The AWS error code of a ``ClientError`` (``Error.Code``), or ``Unknown``."""
    return str(error.response.get("Error", {}).get("Code") or "Unknown")


@contextlib.contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn botocore exceptions raised inside the block into :class:`AwsError` for ``action``."""
    try:
        yield
    except ClientError as error:
        message = str(error.response.get("Error", {}).get("Message") or "").strip()
        raise AwsError(action, error_code(error), message or "no message") from None
    except NoCredentialsError:
        raise AwsError(
            action,
            "NoCredentials",
            "no AWS credentials found (environment, --profile, SSO or instance role)",
        ) from None
    except BotoCoreError as error:
        raise AwsError(action, type(error).__name__, str(error)) from None


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    """A boto3 session from the default credential chain, or from ``profile``.

    Raises :class:`~stalecreds.errors.ConfigError` when the profile does not exist.
    """
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound as error:
        raise ConfigError(f"AWS profile not found: {error.kwargs.get('profile')}") from None


def iam_client(session: boto3.Session) -> IAMClient:
    """An IAM client with :data:`CLIENT_CONFIG`. Clients are thread-safe; sessions are not."""
    return session.client("iam", config=CLIENT_CONFIG)


def share_models(session: boto3.Session, source: boto3.Session) -> None:
    """Make ``session`` read botocore's models through ``source``'s data loader.

    Service models and endpoint rules are then parsed once per process, not once per session.
    Every botocore session has its own loader, and IAM's model, its endpoint rules and the
    endpoint list take about 0.1 s of CPU to parse: without this, every assumed-role session
    would parse them again. This is botocore's own extension point (``register_component``,
    component ``data_loader``). The loader holds parsed JSON only, never credentials or
    configuration: ``session`` keeps its own. Call it before ``session`` makes any client.

    Thread safety: the loader caches each document on first use and only reads it afterwards;
    two threads missing the same document at once both parse it, to equal results. Run
    :func:`preload_models` on ``source`` first, on one thread, and no document is parsed twice.
    """
    loader = source._session.get_component("data_loader")
    session._session.register_component("data_loader", loader)


def preload_models(session: boto3.Session) -> IAMClient:
    """Parse now, on this thread, the models a scan reads; return the IAM client it made.

    These are IAM's model and paginators, STS's, and the endpoint rules, into ``session``'s
    data loader: for a session whose loader others share (:func:`share_models`), before
    threads use them.
    """
    iam = iam_client(session)
    iam.get_paginator("list_users")  # loads IAM's paginator definitions, all of them
    session.client("sts", config=CLIENT_CONFIG)
    return iam


def caller_identity(session: boto3.Session) -> Caller:
    """Who ``session`` signs as: STS ``GetCallerIdentity`` and the access key ID it uses.

    Only the access key *ID* is read from the credentials, never the secret.
    """
    sts = session.client("sts", config=CLIENT_CONFIG)
    with aws_errors("sts:GetCallerIdentity"):
        identity = sts.get_caller_identity()
    credentials = session.get_credentials()
    key_id = None if credentials is None else credentials.access_key
    return Caller(identity["Arn"], identity["Account"], key_id)
