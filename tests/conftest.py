"""Shared test helpers: paths to ../shared/, a builder for credential report rows, and a moto
IAM server with seeding helpers for the live-scan tests."""

from __future__ import annotations

import io
import logging
import os
import threading
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import pytest

from stalecreds.report.credential_report import REPORT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("STALECREDS_SHARED") or ROOT.parent / "shared")
"""The read-only shared folder (spec, sample reports, cases): beside the checkout, as in CI,
or wherever ``STALECREDS_SHARED`` says (tests that need it skip, saying why, without it)."""
SAMPLE_REPORTS = SHARED / "data" / "reports"
REPORT_CASES = SHARED / "cases" / "report-cases.json"
HEADER = ",".join(REPORT_COLUMNS)

_ROW_DEFAULTS = {
    "user": "alice",
    "arn": "arn:aws:iam::111122223333:user/alice",
    "user_creation_time": "2020-01-01T00:00:00+00:00",
    "password_enabled": "false",
    "password_last_used": "N/A",
    "password_last_changed": "N/A",
    "password_next_rotation": "N/A",
    "mfa_active": "false",
    "access_key_1_active": "false",
    "access_key_1_last_rotated": "N/A",
    "access_key_1_last_used_date": "N/A",
    "access_key_1_last_used_region": "N/A",
    "access_key_1_last_used_service": "N/A",
    "access_key_2_active": "false",
    "access_key_2_last_rotated": "N/A",
    "access_key_2_last_used_date": "N/A",
    "access_key_2_last_used_region": "N/A",
    "access_key_2_last_used_service": "N/A",
    "cert_1_active": "false",
    "cert_1_last_rotated": "N/A",
    "cert_2_active": "false",
    "cert_2_last_rotated": "N/A",
}


def report_row(**cells: str) -> str:
    """One CSV data row: a user with no credentials, with ``cells`` overriding columns by name.

    Values are written as given (quote them yourself when they hold commas).
    """
    unknown = set(cells) - set(_ROW_DEFAULTS)
    if unknown:
        raise KeyError(f"unknown report columns: {sorted(unknown)}")
    values = {**_ROW_DEFAULTS, **cells}
    return ",".join(values[name] for name in REPORT_COLUMNS)


def report(*rows: str, header: str = HEADER) -> str:
    """A whole report: the header and ``rows``, newline-terminated."""
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def shared() -> Path:
    """The shared folder; tests that need it are skipped with a clear reason if it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is missing (it sits beside the checkout in CI)")
    return SHARED


# --- The live-scan tests: a local moto IAM server, reached over HTTP through boto3 ------------
#
# One ThreadedMotoServer per session (moto's in-process backend is shared with the tests, which is
# how dates are seeded); state is reset before each test that asks for it. Every test runs with
# deliberately fake AWS credentials and no profile, so none can reach a real account.

MOTO_ACCOUNT_ID = "123456789012"
"""moto's default account ID."""

FAKE_ACCESS_KEY_ID = "AKIAFAKEFAKEFAKEFAKE"
FAKE_SECRET_ACCESS_KEY = "fake-secret-not-a-real-key"


@pytest.fixture(autouse=True)
def _fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test: fake credentials and region (see :func:`fake_aws_environment`)."""
    fake_aws_environment(monkeypatch)


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, no profile, no config files, no instance metadata."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    # A closed loopback port: a test that forgets the moto fixture fails locally (after
    # botocore's retries: about 14 s with the scan's client) instead of reaching AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("AWS_ENDPOINT_URL_IAM", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS", raising=False)


def moto_post(url: str, body: str = "") -> bytes:
    """POST ``body`` to a moto control URL (``…/moto-api/reset``) and return the answer."""
    # Not form-encoded (urllib's default): Flask would then leave moto an empty request body.
    request = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return bytes(response.read())


class ServerRequests:
    """WSGI middleware in front of moto's app: counts the IAM requests it receives, by ``Action``.

    Counted at the server, so botocore's retries count and nothing the client skips does.
    moto's control calls (``/moto-api/…``) are not counted.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._by_action: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            self._by_action.clear()

    def by_action(self) -> Counter[str]:
        with self._lock:
            return Counter(self._by_action)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            params = parse_qs(str(environ.get("QUERY_STRING", "")))
            params.update(parse_qs(body.decode("utf-8", "replace")))
            action = params.get("Action", ["(no Action)"])[0]
            with self._lock:
                self._by_action[action] += 1
        return self.app(environ, start_response)


_SERVER_REQUESTS: list[ServerRequests] = []


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """A moto server on 127.0.0.1 (ephemeral port) for the whole session; yields its URL.

    Its requests are counted at the server (:class:`ServerRequests`, see ``server_requests``).
    """
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # ThreadedMotoServer builds its WSGI app in its thread; werkzeug looks up ``app`` per
    # request, so wrapping it now counts every request. (Private, but moto has no public hook.)
    wsgi_server = server._server
    assert wsgi_server is not None
    counter = ServerRequests(wsgi_server.app)
    wsgi_server.app = counter
    _SERVER_REQUESTS[:] = [counter]
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def server_requests(moto_endpoint: str) -> ServerRequests:
    """The moto server's request counter, reset (call ``reset()`` again after seeding)."""
    counter = _SERVER_REQUESTS[0]
    counter.reset()
    return counter


@pytest.fixture
def moto_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server, reset to empty, and ``AWS_ENDPOINT_URL`` pointing at it."""
    moto_post(f"{moto_server}/moto-api/reset")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture(scope="session")
def boto_session() -> Any:
    """One boto3 session for the tests' clients: fake credentials, us-east-1, no profile.

    Its loader caches the IAM service model: a new session per client costs up to 0.7 s. Its
    credentials are fixed when it is made (session fixtures come before the autouse fake
    environment, so it is made inside the same fake environment here); to sign as another
    principal, pass keys to ``client()``. The endpoint is read from ``AWS_ENDPOINT_URL`` at each
    ``client()`` call.
    """
    import boto3

    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_environment(monkeypatch)
        session = boto3.Session(
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            region_name="us-east-1",
        )
        session._session.get_scoped_config()  # read (empty) config files now, while faked
    return session


@pytest.fixture
def iam(moto_endpoint: str, boto_session: Any) -> Any:
    """An IAM client as ``stalecreds scan`` makes one (adaptive retries), bound to moto."""
    from stalecreds.aws.session import iam_client

    return iam_client(boto_session)


def moto_iam_backend() -> Any:
    """moto's in-process IAM backend of :data:`MOTO_ACCOUNT_ID` (fresh after each reset)."""
    from moto.iam.models import iam_backends

    return iam_backends[MOTO_ACCOUNT_ID]["global"]


class SeedKey(NamedTuple):
    """An access key to seed: created, last used (``None``: never), status and where used."""

    created: datetime
    used: datetime | None = None
    active: bool = True
    service: str = "sts"
    region: str = "us-east-1"


def seed_user(
    iam: Any,
    name: str,
    *,
    created: datetime,
    path: str = "/",
    password: bool = False,
    password_used: datetime | None = None,
    keys: tuple[SeedKey, ...] = (),
    tags: dict[str, str] | None = None,
) -> list[str]:
    """Create a user, its password, keys and tags over HTTP, then set its dates in moto.

    moto cannot be told dates over HTTP, so they are set on its in-process backend objects
    (public API since moto issue #5927). In moto a password's date (GetLoginProfile CreateDate,
    the report's password_last_changed) is the user's creation date. Returns the key IDs in
    creation order, which is the report's slot order.
    """
    from moto.iam.models import AccessKeyLastUsed

    iam.create_user(UserName=name, Path=path)
    if password:
        iam.create_login_profile(UserName=name, Password="Seeded-password-1!")
    if tags:
        iam.tag_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    ids = [iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"] for _ in keys]
    for key_id, key in zip(ids, keys, strict=True):
        if not key.active:
            iam.update_access_key(UserName=name, AccessKeyId=key_id, Status="Inactive")
    user = moto_iam_backend().users[name]
    user.create_date = created
    user.password_last_used = password_used
    for stored, key in zip(user.access_keys, keys, strict=True):
        stored.create_date = key.created
        if key.used is not None:
            stored.last_used = AccessKeyLastUsed(key.used, key.service, key.region)
    return ids


# --- Output formats: golden files and the scans they render -------------------------------------
#
# Golden files live in tests/golden/. A test compares its output with one; `pytest
# --update-golden` rewrites them instead (review the diff before committing).

GOLDEN = Path(__file__).resolve().parent / "golden"
SAMPLE_AS_OF = datetime.fromisoformat("2026-11-01T10:00:00+00:00")
"""The as-of time of the golden files: 46 minutes after the bundled sample was generated."""
TRICKY_ACCOUNTS = ("111122223333", "444455556666")
TRICKY_USERS = (
    "<script>alert(1)</script>",
    '<img src=x onerror="window.__pwned=1">',
    "a\"b'c&d|e`f*g_h[i](j)#k@team",
    "plain-user",
)
"""User names a report file could hold (IAM itself allows only letters, digits and +=,.@_-)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files of the output-format tests instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Any:
    """``golden(name, text)``: assert ``text`` equals tests/golden/NAME (or rewrite it)."""
    update = bool(request.config.getoption("--update-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            return
        if not path.is_file():
            pytest.fail(f"{path} is missing; run pytest --update-golden and review it")
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"{name} differs from the golden file (pytest --update-golden)"

    return check


def sample_scan() -> Any:
    """The bundled sample report (``stalecreds scan --sample``) judged at :data:`SAMPLE_AS_OF`."""
    from importlib import resources

    from stalecreds import scan_report

    data = resources.files("stalecreds").joinpath("data", "sample-credential-report.json")
    return scan_report(data.read_bytes(), as_of=SAMPLE_AS_OF, name="sample-credential-report.json")


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


def tricky_scan() -> Any:
    """Two accounts, user names full of HTML and Markdown syntax, every verdict but unknown."""
    from stalecreds import scan_report

    rows = []
    for account in TRICKY_ACCOUNTS:
        for index, name in enumerate(TRICKY_USERS):
            rows.append(
                report_row(
                    user=_csv_cell(name),
                    arn=_csv_cell(f"arn:aws:iam::{account}:user/team/{name}"),
                    password_enabled="true",
                    password_last_used=("2026-10-30T00:00:00+00:00", "no_information")[index % 2],
                    password_last_changed="2024-01-01T00:00:00+00:00",
                    mfa_active=("true", "false")[index % 2],
                    access_key_1_active="true",
                    access_key_1_last_rotated="2023-01-01T00:00:00+00:00",
                    access_key_1_last_used_date=(
                        "2026-02-01T00:00:00+00:00",
                        "2026-10-31T00:00:00+00:00",
                        "2025-12-24T00:00:00+00:00",
                        "N/A",
                    )[index],
                    access_key_1_last_used_region="us-east-1",
                    access_key_1_last_used_service="s3",
                )
            )
    return scan_report(report(*rows), as_of=SAMPLE_AS_OF, name="tricky|`<b>report</b>`.csv")
