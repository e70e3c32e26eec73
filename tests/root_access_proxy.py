"""RootAccessProxy: a tiny HTTP proxy on 127.0.0.1 in front of moto, for centralized root access.

moto 5.2.5 implements neither ``sts:AssumeRoot`` nor ``iam:ListOrganizationsFeatures``
(``shared/spec/beyond-passwords-and-keys.md``), and its IAM has no root user. This test layer
answers exactly those, and forwards every other request to the moto server unchanged:

* ``iam:ListOrganizationsFeatures`` (any caller): ``RootCredentialsManagement`` when
  :attr:`RootAccessProxy.enabled`, else no features.
* ``sts:AssumeRoot``: refused with ``AccessDenied`` for the accounts in
  :attr:`RootAccessProxy.refuse`; a ``DurationSeconds`` above 900 is a ``ValidationError``.
  Otherwise moto's own ``AssumeRole`` (into a role in the member account) mints the credentials,
  so moto scopes them to that account, and the proxy remembers them as a root session of that
  account with that task policy (expiring after ``DurationSeconds``).
* IAM requests signed with a root session's key are answered from the account's
  :class:`RootFixture` (the member's root user): only the calls of the session's task policy,
  only without ``UserName`` (``AccessDenied`` otherwise), as AWS's task policies allow.

Every answered call is recorded in :attr:`RootAccessProxy.calls`, every forwarded one in
:attr:`RootAccessProxy.forwarded`.
"""

from __future__ import annotations

import contextlib
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
TASK_ACTIONS = {
    AUDIT: {
        "GetUser",
        "GetLoginProfile",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
        "ListSigningCertificates",
        "ListMFADevices",
        "GetAccountSummary",
    },
    DELETE: {
        "DeleteLoginProfile",
        "DeleteAccessKey",
        "DeleteSigningCertificate",
        "DeactivateMFADevice",
    },
}
_CREDENTIAL = re.compile(r"Credential=([^/]+)/[^/]+/[^/]+/([^/]+)/")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class RootKey:
    created: datetime
    status: str = "Active"
    used: datetime | None = None
    service: str = "s3"
    region: str = "us-east-1"


@dataclass
class RootFixture:
    """One member account's root user: its password, keys, certificates and MFA devices."""

    created: datetime
    password: datetime | None = None
    password_used: datetime | None = None
    keys: dict[str, RootKey] = field(default_factory=dict)
    certificates: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    mfa: dict[str, datetime] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.password or self.keys or self.certificates or self.mfa)


class Call(NamedTuple):
    """One request the proxy answered itself: action, target account, task policy, form."""

    action: str
    account_id: str
    task: str | None
    form: dict[str, str]


class RootAccessProxy:
    """See the module docstring. :meth:`start` it; :meth:`stop` it."""

    def __init__(self, moto_url: str) -> None:
        self.moto_url = moto_url.rstrip("/")
        self.enabled = True
        self.refuse: set[str] = set()
        self.roots: dict[str, RootFixture] = {}
        self.calls: list[Call] = []
        self.sessions: dict[str, tuple[str, str, datetime]] = {}
        self.forwarded: list[tuple[str, str, str]] = []
        """Requests passed on to moto: (access key ID, service, action)."""
        self.lifetime = 900
        """Seconds a root session lasts at most (less, to see botocore renew it)."""
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # -- server ------------------------------------------------------------------------------

    def start(self) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers, answer = proxy.handle(self.path, dict(self.headers), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def actions(self, account_id: str | None = None) -> list[str]:
        with self._lock:
            return [c.action for c in self.calls if account_id in (None, c.account_id)]

    # -- dispatch ----------------------------------------------------------------------------

    def handle(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        match = _CREDENTIAL.search(headers.get("Authorization", ""))
        key_id, service = (match.group(1), match.group(2)) if match else ("", "")
        action = form.get("Action", "")
        if service == "sts" and action == "AssumeRoot":
            return self._assume_root(form)
        if service == "iam" and action == "ListOrganizationsFeatures":
            self._record(action, "", None, form)
            features = "<member>RootCredentialsManagement</member>" if self.enabled else ""
            return _ok(
                IAM_XMLNS,
                action,
                f"<OrganizationId>o-test</OrganizationId><EnabledFeatures>{features}"
                "</EnabledFeatures>",
            )
        with self._lock:
            session = self.sessions.get(key_id)
        if service == "iam" and session is not None:
            return self._root_call(session, action, form)
        target = headers.get("X-Amz-Target", "")  # JSON protocols (Organizations)
        with self._lock:
            self.forwarded.append((key_id, service, action or target.rpartition(".")[2]))
        return self._forward(path, headers, body)

    def _record(self, action: str, account_id: str, task: str | None, form: dict[str, str]) -> None:
        with self._lock:
            self.calls.append(Call(action, account_id, task, form))

    def _forward(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.moto_url + path,
            data=body,
            method="POST",
            headers={k: v for k, v in headers.items() if k.lower() != "content-length"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, answer, reply_headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, answer, reply_headers = error.code, error.read(), error.headers
        kept = {
            k: v
            for k, v in reply_headers.items()
            if k.lower() in ("content-type", "x-amzn-requestid", "x-amz-crc32")
        }
        return status, kept, answer

    # -- STS AssumeRoot ----------------------------------------------------------------------

    def _assume_root(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        account_id = form.get("TargetPrincipal", "")
        arn = form.get("TaskPolicyArn.arn", "")
        task = arn.rsplit("/", 1)[-1]
        self._record("AssumeRoot", account_id, task, form)
        duration = int(form.get("DurationSeconds") or 900)
        if duration > 900:
            return _error(STS_XMLNS, 400, "ValidationError", "DurationSeconds must be <= 900")
        if not arn.startswith("arn:aws:iam::aws:policy/root-task/") or task not in TASK_ACTIONS:
            return _error(STS_XMLNS, 400, "ValidationError", f"unknown task policy {arn}")
        if account_id in self.refuse:
            return _error(
                STS_XMLNS,
                403,
                "AccessDenied",
                f"User is not authorized to perform: sts:AssumeRoot on resource: {account_id}",
            )
        # moto's AssumeRole mints credentials that moto scopes to the member account.
        minted = urllib.request.Request(
            self.moto_url + "/",
            data=(
                "Action=AssumeRole&Version=2011-06-15&RoleSessionName=root"
                f"&RoleArn=arn:aws:iam::{account_id}:role/assume-root"
            ).encode(),
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFAKEFAKEFAKEFAKE/20250101/"
                "us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0",
            },
        )
        with urllib.request.urlopen(minted, timeout=30) as response:
            text = response.read().decode()
        values = {
            name: re.search(f"<{name}>([^<]*)</{name}>", text).group(1)  # type: ignore[union-attr]
            for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")
        }
        expires = datetime.now(UTC) + timedelta(seconds=min(duration, self.lifetime))
        with self._lock:
            self.sessions[values["AccessKeyId"]] = (account_id, task, expires)
        credentials = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in values.items())
        return _ok(
            STS_XMLNS,
            "AssumeRoot",
            f"<Credentials>{credentials}<Expiration>{iso(expires)}</Expiration></Credentials>",
        )

    # -- root-scoped IAM ---------------------------------------------------------------------

    def _root_call(
        self, session: tuple[str, str, datetime], action: str, form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        account_id, task, expires = session
        self._record(action, account_id, task, form)
        if datetime.now(UTC) >= expires:
            return _error(IAM_XMLNS, 403, "ExpiredToken", "The security token has expired")
        if action not in TASK_ACTIONS[task] or "UserName" in form:
            return _error(
                IAM_XMLNS,
                403,
                "AccessDenied",
                f"root session ({task}) is not authorized to perform: iam:{action}",
            )
        with self._lock:
            root = self.roots.setdefault(account_id, RootFixture(datetime(2020, 1, 1, tzinfo=UTC)))
            return self._answer(root, account_id, action, form)

    def _answer(
        self, root: RootFixture, account_id: str, action: str, form: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        arn = f"arn:aws:iam::{account_id}:root"
        if action == "GetUser":
            used = "" if root.password_used is None else root.password_used
            used_xml = f"<PasswordLastUsed>{iso(used)}</PasswordLastUsed>" if used else ""
            return _ok(
                IAM_XMLNS,
                action,
                f"<User><Path>/</Path><UserId>{account_id}</UserId><Arn>{arn}</Arn>"
                f"<CreateDate>{iso(root.created)}</CreateDate>{used_xml}</User>",
            )
        if action == "GetLoginProfile":
            if root.password is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "Login Profile for root not found")
            return _ok(
                IAM_XMLNS,
                action,
                f"<LoginProfile><CreateDate>{iso(root.password)}</CreateDate>"
                "<PasswordResetRequired>false</PasswordResetRequired></LoginProfile>",
            )
        if action == "DeleteLoginProfile":
            if root.password is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "Login Profile for root not found")
            root.password = None
            return _ok(IAM_XMLNS, action, "")
        if action == "ListAccessKeys":
            members = "".join(
                f"<member><AccessKeyId>{key_id}</AccessKeyId><Status>{key.status}</Status>"
                f"<CreateDate>{iso(key.created)}</CreateDate></member>"
                for key_id, key in root.keys.items()
            )
            return _ok(
                IAM_XMLNS,
                action,
                f"<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>",
            )
        if action == "GetAccessKeyLastUsed":
            found = root.keys.get(form.get("AccessKeyId", ""))
            if found is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "The access key does not exist")
            if found.used is None:
                last = "<ServiceName>N/A</ServiceName><Region>N/A</Region>"
            else:
                last = (
                    f"<LastUsedDate>{iso(found.used)}</LastUsedDate><ServiceName>"
                    f"{found.service}</ServiceName><Region>{found.region}</Region>"
                )
            return _ok(IAM_XMLNS, action, f"<AccessKeyLastUsed>{last}</AccessKeyLastUsed>")
        if action == "DeleteAccessKey":
            if root.keys.pop(form.get("AccessKeyId", ""), None) is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "The access key does not exist")
            return _ok(IAM_XMLNS, action, "")
        if action == "ListSigningCertificates":
            members = "".join(
                f"<member><CertificateId>{cert_id}</CertificateId><CertificateBody>-----BEGIN "
                f"CERTIFICATE-----</CertificateBody><Status>{status}</Status><UploadDate>"
                f"{iso(uploaded)}</UploadDate></member>"
                for cert_id, (status, uploaded) in root.certificates.items()
            )
            return _ok(
                IAM_XMLNS,
                action,
                f"<Certificates>{members}</Certificates><IsTruncated>false</IsTruncated>",
            )
        if action == "DeleteSigningCertificate":
            if root.certificates.pop(form.get("CertificateId", ""), None) is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "The certificate does not exist")
            return _ok(IAM_XMLNS, action, "")
        if action == "ListMFADevices":
            members = "".join(
                f"<member><SerialNumber>{escape(serial)}</SerialNumber><EnableDate>"
                f"{iso(enabled)}</EnableDate></member>"
                for serial, enabled in root.mfa.items()
            )
            return _ok(
                IAM_XMLNS,
                action,
                f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>",
            )
        if action == "DeactivateMFADevice":
            if root.mfa.pop(form.get("SerialNumber", ""), None) is None:
                return _error(IAM_XMLNS, 404, "NoSuchEntity", "The MFA device does not exist")
            return _ok(IAM_XMLNS, action, "")
        return _error(IAM_XMLNS, 400, "InvalidAction", f"{action} is not answered by the proxy")


@contextlib.contextmanager
def proxy_in_front_of(moto_server: str, monkeypatch: Any) -> Iterator[RootAccessProxy]:
    """Reset moto, start a proxy in front of it and point ``AWS_ENDPOINT_URL`` at the proxy."""
    from tests.conftest import moto_post

    moto_post(f"{moto_server}/moto-api/reset")
    layer = RootAccessProxy(moto_server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", layer.start())
    try:
        yield layer
    finally:
        layer.stop()


def _ok(xmlns: str, action: str, result: str) -> tuple[int, dict[str, str], bytes]:
    body = (
        f'<{action}Response xmlns="{xmlns}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>root-proxy</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return 200, {"Content-Type": "text/xml"}, body.encode()


def _error(xmlns: str, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = (
        f'<ErrorResponse xmlns="{xmlns}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{escape(message)}</Message></Error><RequestId>root-proxy</RequestId>"
        "</ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml"}, body.encode()
