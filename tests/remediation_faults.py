"""Faults and call records for the remediation tests, on one boto3 IAM client's event system.

moto answers every IAM write at once: it never raises ``EntityTemporarilyUnmodifiable``,
``ConcurrentModification`` or ``DeleteConflict`` (HTTP 409), and cannot deny one call while
allowing the rest. Only those answers are canned here (``before-send``: botocore parses, and
would retry, the canned answer as it would a real one); every other attempt goes to moto over
HTTP. :class:`CallLog` records each API call the client makes (``before-call``) so a test can
check which IAM calls were made, with which parameters.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"

WRITE_OPERATIONS = frozenset(
    {
        "UpdateAccessKey",
        "DeleteAccessKey",
        "DeleteLoginProfile",
        "UpdateLoginProfile",
        "CreateLoginProfile",
    }
)
"""The IAM calls that change a credential (the remedies and undo's)."""


class _RawBody:
    """The ``raw`` of an :class:`AWSResponse`: botocore reads the body through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        body, self._body = self._body, b""
        return body


def iam_error(code: str, status: int = 409, message: str = "") -> AWSResponse:
    """An IAM query-protocol error answer, as IAM sends it."""
    body = (
        f"<ErrorResponse xmlns={IAM_XMLNS!r}><Error><Type>Sender</Type>"
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        "<RequestId>remediation-faults</RequestId></ErrorResponse>"
    )
    return AWSResponse(
        "https://iam.amazonaws.com/",
        status,
        {"Content-Type": "text/xml", "x-amzn-RequestId": "remediation-faults"},
        _RawBody(body.encode("utf-8")),
    )


def fail_first(client: Any, operation: str, code: str, times: int, status: int = 409) -> list[int]:
    """Answer the first ``times`` HTTP attempts of ``operation`` with the error ``code``.

    Later attempts go to moto. Returns a one-item list counting the attempts seen.
    """
    seen = [0]
    message = f"{code} injected by the test ({operation})"

    def before_send(**_: Any) -> AWSResponse | None:
        seen[0] += 1
        return iam_error(code, status, message) if seen[0] <= times else None

    client.meta.events.register(f"before-send.iam.{operation}", before_send)
    return seen


class Call(NamedTuple):
    """One API call: the operation and its (query) parameters."""

    operation: str
    params: dict[str, Any]


class CallLog:
    """Every API call ``client`` makes from now on, in order (``before-call``)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[Call] = []
        client.meta.events.register("before-call.iam", self._record)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        body = params.get("body")
        self.calls.append(Call(model.name, dict(body) if isinstance(body, dict) else {}))

    def operations(self) -> list[str]:
        """The operations called, in order."""
        return [call.operation for call in self.calls]

    def writes(self) -> list[Call]:
        """The calls that change a credential."""
        return [call for call in self.calls if call.operation in WRITE_OPERATIONS]
