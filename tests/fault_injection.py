"""A fault-injecting layer in front of the moto IAM server, for answers moto cannot give.

The live-scan tests talk HTTP to a real moto server through boto3. moto does not model every IAM
answer (``shared/spec/credential-report.md`` §8): ListUsers ignores ``MaxItems``/``Marker`` and
never pages; GenerateCredentialReport never answers ``INPROGRESS``; GetCredentialReport never
raises ``ReportInProgress`` or ``ReportExpired`` and always says ``GeneratedTime`` 2015-02-02;
there is no ``Throttling``/``LimitExceeded`` and no ``<root_account>`` row; and it cannot deny one
call while allowing the rest. Only those gaps are filled here, on one client's botocore event
system, so everything else still goes to moto:

* ``before-send.iam.<Operation>`` (:meth:`FaultInjector.script`, :meth:`FaultInjector.always`):
  answer one HTTP attempt with a canned response (an IAM query-protocol XML error from
  :func:`error_response`, or a success body from :func:`success_response`) instead of sending it.
  A script entry of ``None`` sends that attempt to moto. botocore still parses, and retries, the
  canned answer as it would a real one, so its own retries (adaptive mode retries ``Throttling``)
  consume script entries too.
* ``after-call.iam.<Operation>`` (:meth:`FaultInjector.after`): edit the parsed response moto
  gave (reverse ListAccessKeys, set GeneratedTime, page ListUsers, add a root row), or act at the
  moment a response arrives (change moto's state after the report was fetched).
* ``provide-client-params.iam`` (always on): record every API call's operation and parameters in
  :attr:`FaultInjector.calls`, once per call (botocore's retries are counted in
  :attr:`FaultInjector.attempts`).

Handlers may run on several threads at once (the scan uses a thread pool), so shared state is
locked.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

IAM_XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/"
_PARAMS_KEY = "fault_injection_params"

Params = dict[str, Any]
Answer = AWSResponse | Callable[[Params], AWSResponse | None] | None
"""What a script entry gives an HTTP attempt: a response, a function of the call's parameters
returning one (or ``None``), or ``None`` to send the attempt to moto."""


class _RawBody:
    """The ``raw`` of an :class:`AWSResponse`: botocore reads the body through ``stream()``."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any, **__: Any) -> bytes:
        body, self._body = self._body, b""
        return body


def _response(status: int, body: str) -> AWSResponse:
    return AWSResponse(
        "https://iam.amazonaws.com/",
        status,
        {"Content-Type": "text/xml", "x-amzn-RequestId": "fault-injection"},
        _RawBody(body.encode("utf-8")),
    )


def error_response(code: str, status: int, message: str = "", kind: str = "Sender") -> AWSResponse:
    """An IAM query-protocol error, e.g. ``error_response("ReportInProgress", 404)``."""
    return _response(
        status,
        f"<ErrorResponse xmlns={IAM_XMLNS!r}><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error>"
        "<RequestId>fault-injection</RequestId></ErrorResponse>",
    )


def success_response(operation: str, result_xml: str) -> AWSResponse:
    """An HTTP 200 answer to ``operation`` whose ``<OperationResult>`` holds ``result_xml``."""
    return _response(
        200,
        f"<{operation}Response xmlns={IAM_XMLNS!r}><{operation}Result>{result_xml}"
        f"</{operation}Result><ResponseMetadata><RequestId>fault-injection</RequestId>"
        f"</ResponseMetadata></{operation}Response>",
    )


def report_state(state: str) -> AWSResponse:
    """A GenerateCredentialReport answer with ``State`` (``STARTED``, ``INPROGRESS``, …)."""
    return success_response("GenerateCredentialReport", f"<State>{state}</State>")


def throttling() -> AWSResponse:
    """``Throttling`` "Rate exceeded", HTTP 400 (spec §7)."""
    return error_response("Throttling", 400, "Rate exceeded")


def limit_exceeded() -> AWSResponse:
    """``LimitExceeded`` "No more capacity to launch new report generation tasks", HTTP 409."""
    return error_response(
        "LimitExceeded", 409, "No more capacity to launch new report generation tasks"
    )


def access_denied(action: str, user: str = "arn:aws:iam::123456789012:user/scanner") -> AWSResponse:
    """``AccessDenied``, HTTP 403, worded as IAM does."""
    return error_response(
        "AccessDenied",
        403,
        f"User: {user} is not authorized to perform: {action} on resource: *",
    )


class Call(NamedTuple):
    """One API call as the client made it: operation name and parameters."""

    operation: str
    params: Params


class FaultInjector:
    """The fault layer on one boto3 IAM client; see the module docstring."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[Call] = []
        self.attempts: Counter[str] = Counter()
        """HTTP attempts per operation (botocore's retries included), canned or sent."""
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Answer]] = {}
        self._always: dict[str, Callable[[Params], AWSResponse | None]] = {}
        client.meta.events.register("provide-client-params.iam", self._record)
        client.meta.events.register("before-send.iam", self._before_send)

    # -- recording --------------------------------------------------------------------------

    def _record(self, params: Params, model: Any, context: dict[str, Any], **_: Any) -> None:
        with self._lock:
            self.calls.append(Call(model.name, dict(params)))
        context[_PARAMS_KEY] = dict(params)

    def operations(self) -> list[str]:
        """The operations called, in order."""
        with self._lock:
            return [call.operation for call in self.calls]

    def params_of(self, operation: str) -> list[Params]:
        """The parameters of every call of ``operation``, in order."""
        with self._lock:
            return [call.params for call in self.calls if call.operation == operation]

    # -- canned answers (before-send) ------------------------------------------------------

    def _before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        params: Params = (getattr(request, "context", None) or {}).get(_PARAMS_KEY, {})
        with self._lock:
            self.attempts[operation] += 1
            script = self._scripts.get(operation)
            answer = script.popleft() if script else self._always.get(operation)
        return answer(params) if callable(answer) else answer

    def script(self, operation: str, *answers: Answer) -> None:
        """Answer the next HTTP attempts of ``operation`` with ``answers``, in order.

        ``None`` sends that attempt to moto; past the script, attempts go to moto (or to
        :meth:`always`).
        """
        with self._lock:
            self._scripts.setdefault(operation, deque()).extend(answers)

    def always(self, operation: str, answer: Callable[[Params], AWSResponse | None]) -> None:
        """Answer every attempt of ``operation`` (after any script) with ``answer(params)``."""
        with self._lock:
            self._always[operation] = answer

    def remaining(self, operation: str) -> int:
        """How many scripted answers of ``operation`` were not used."""
        with self._lock:
            return len(self._scripts.get(operation, ()))

    # -- edited answers (after-call) -------------------------------------------------------

    def after(self, operation: str, edit: Callable[[dict[str, Any], Params], None]) -> None:
        """Call ``edit(parsed, params)`` on every successful parsed response of ``operation``."""

        def after_call(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            if "Error" not in parsed:
                edit(parsed, context.get(_PARAMS_KEY, {}))

        self.client.meta.events.register(f"after-call.iam.{operation}", after_call)
