"""``stalecreds demo``: scan a small, realistic account on a local moto IAM server.

Starts moto's ``ThreadedMotoServer`` on 127.0.0.1 (an ephemeral port) in this process, seeds an
account whose dates are relative to now (so the demo never goes stale), and runs the same live
scan as ``stalecreds scan``, with a client pinned to that endpoint and to throw-away credentials:
the demo can never reach AWS. moto is an optional extra: ``pip install 'stalecreds[demo]'``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from stalecreds.aws.session import CLIENT_CONFIG
from stalecreds.errors import ConfigError

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

    from stalecreds.report.scan import ScanResult

DEMO_ACCOUNT_ID = "123456789012"
"""moto's default account ID."""

DEMO_SECRET = "demo-secret-not-a-real-key"


DEMO_ACCESS_KEY_ID = "AKIADEMODEMODEMODEMO"
"""The throw-away access key ID the demo signs with (moto accepts any)."""


@contextlib.contextmanager
def local_iam(port: int = 0) -> Iterator[IAMClient]:
    """Run a moto IAM server on 127.0.0.1 for the duration, yielding a client bound to it.

    ``port`` 0 takes any free port. Raises :class:`~stalecreds.errors.ConfigError` when moto is
    not installed or the port cannot be had.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        raise ConfigError("the demo needs moto: pip install 'stalecreds[demo]'") from None
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except OSError as error:
        raise ConfigError(f"the demo cannot serve on 127.0.0.1:{port}: {error}") from None
    try:
        # NOTE: moto always reports GeneratedTime 2015-02-02T20:02:02Z and rebuilds the report on
        # every call (shared/spec §8); like IAM, the demo server says the report was generated
        # when it was fetched, so scans of the demo (--serve too) do not warn that it is old.
        # ThreadedMotoServer has no public hook for its WSGI app: wrap the attribute werkzeug's
        # request handler reads.
        wsgi = server._server
        if wsgi is not None:
            wsgi.app = _fresh_report_dates(wsgi.app)
        host, bound = server.get_host_and_port()
        session = boto3.Session(
            aws_access_key_id=DEMO_ACCESS_KEY_ID,
            aws_secret_access_key=DEMO_SECRET,
            region_name="us-east-1",
        )
        iam = session.client("iam", endpoint_url=f"http://{host}:{bound}", config=CLIENT_CONFIG)
        yield iam
    finally:
        server.stop()


_MOTO_GENERATED_TIME = b"<GeneratedTime>2015-02-02T20:02:02Z</GeneratedTime>"


def _fresh_report_dates(app: Any) -> Any:
    """WSGI middleware: ``GetCredentialReport`` answers say they were generated just now."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            captured.update(status=status, headers=headers, rest=rest)
            return lambda data: None  # the legacy write() callable; moto does not use it

        body = b"".join(app(environ, capture))
        if _MOTO_GENERATED_TIME in body:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
            body = body.replace(
                _MOTO_GENERATED_TIME, b"<GeneratedTime>" + stamp + b"</GeneratedTime>"
            )
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers, *captured["rest"])
        return [body]

    return wrapped


def serve_instructions(endpoint: str) -> str:
    """What ``demo --serve`` prints: how to point stalecreds at the demo server, step by step."""
    return (
        "The demo account is served on this machine only. In another terminal:\n\n"
        f"  export AWS_ENDPOINT_URL={endpoint} AWS_DEFAULT_REGION=us-east-1\n"
        f"  export AWS_ACCESS_KEY_ID={DEMO_ACCESS_KEY_ID} AWS_SECRET_ACCESS_KEY={DEMO_SECRET}\n"
        "  stalecreds scan --history           # record the scan ('stalecreds history' shows it)\n"
        "  stalecreds plan -o plan.json        # review the plan it prints\n"
        "  stalecreds apply plan.json --dry-run\n"
        "  stalecreds apply plan.json\n"
        "  stalecreds undo <the journal apply prints>\n\n"
        "Demo note: moto dates every credential report 2015-02-02; this server dates each one "
        "when it is fetched, as IAM does for a fresh report, so scans do not warn that the "
        "report is old.\n\n"
        "Press Ctrl-C here to stop the server."
    )


def seed_demo_account(iam: IAMClient, now: datetime) -> None:
    """Create the demo users through the API, then age their dates in moto's backend.

    moto cannot be told over HTTP when a key was created or last used, so the dates are set on
    its in-process backend objects (public API since moto issue #5927).
    """
    from moto.iam.models import AccessKeyLastUsed, iam_backends

    def days(n: float) -> datetime:
        return now - timedelta(days=n)

    people = {
        # name: (path, days since created, days since last sign-in or None). moto dates every
        # password at its user's creation (shared/spec §8), so that is when it was "set".
        "alice": ("/engineering/", 1400, 1),
        "bob": ("/engineering/", 900, 210),
        "carol": ("/engineering/", 3, None),
        "dave": ("/finance/", 420, None),
        "break-glass": ("/", 1600, 500),
    }
    services = {
        "ci-deploy": ("/service/", 1000),
        "data-pipeline": ("/service/", 800),
        "legacy-backup": ("/service/", 4650),
        "reporting": ("/service/", 10),
    }
    for name, (path, _, _) in people.items():
        iam.create_user(UserName=name, Path=path)
        iam.create_login_profile(UserName=name, Password="Demo-password-1!")
    for name, (path, _) in services.items():
        iam.create_user(UserName=name, Path=path)
    iam.tag_user(
        UserName="break-glass",
        Tags=[{"Key": "stalecreds:exempt", "Value": "Emergency access, tested every quarter"}],
    )
    keys: dict[str, list[str]] = {}
    for name in (
        "alice",
        "bob",
        "ci-deploy",
        "ci-deploy",
        "data-pipeline",
        "data-pipeline",
        "legacy-backup",
        "reporting",
    ):
        keys.setdefault(name, []).append(
            iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
        )
    iam.update_access_key(UserName="ci-deploy", AccessKeyId=keys["ci-deploy"][1], Status="Inactive")

    backend = iam_backends[DEMO_ACCOUNT_ID]["global"]
    for name, (_, created, used) in people.items():
        user = backend.users[name]
        user.create_date = days(created)
        # moto annotates password_last_used as None; it reads a datetime there (issue #5927).
        user.password_last_used = None if used is None else days(used)  # type: ignore[assignment]
    for name, (_, created) in services.items():
        backend.users[name].create_date = days(created)
    # name: [(days since key created, days since last used or None, service, region)]
    key_history: dict[str, list[tuple[float, float | None, str, str]]] = {
        "alice": [(300, 0.2, "sts", "eu-west-1")],
        "bob": [(700, 200, "ec2", "us-east-1")],
        "ci-deploy": [(400, 0.05, "s3", "us-east-1"), (900, 400, "ecr", "us-west-2")],
        "data-pipeline": [(300, None, "", ""), (700, 1, "dynamodb", "eu-central-1")],
        "legacy-backup": [(4650, None, "", "")],
        "reporting": [(10, None, "", "")],
    }
    for name, history in key_history.items():
        for key, (key_age, key_used, service, region) in zip(
            backend.users[name].access_keys, history, strict=True
        ):
            key.create_date = days(key_age).replace(microsecond=0)
            if key_used is not None:
                key.last_used = AccessKeyLastUsed(days(key_used), service, region)


def scan_demo_account(max_age: int, now: datetime) -> ScanResult:
    """Seed the demo account on a fresh local moto server and scan it, judged at ``now``.

    ``max_age`` (days) is the maximum age of both passwords and access keys. Raises
    :class:`~stalecreds.errors.ConfigError` when moto is not installed.
    """
    from stalecreds.aws.live_options import LiveScanOptions
    from stalecreds.aws.live_scan import scan_account
    from stalecreds.rules.verdicts import Thresholds, VerdictRules

    with local_iam() as iam:
        seed_demo_account(iam, now)
        rules = VerdictRules(now, Thresholds(max_age, max_age))
        return scan_account(iam, rules, LiveScanOptions())
