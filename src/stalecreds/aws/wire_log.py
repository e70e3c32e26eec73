"""``--debug``: botocore's wire log (requests, responses, signing) on standard error, redacted.

Secrets never reach the log: the ``Authorization`` header and request signatures, session tokens
(``X-Amz-Security-Token`` header or query value, ``SessionToken`` in STS answers), secret access
keys (``SecretAccessKey``, ``aws_secret_access_key``) and passwords (``Password``,
``NewPassword``, ``OldPassword`` in request parameters and bodies, as ``CreateLoginProfile`` and
``UpdateLoginProfile`` send them) are replaced by ``<redacted>`` in every record, whatever its
shape: a dict's repr, a query-string body, an XML or JSON answer, a canonical request.

Only the standard library is used: nothing here imports boto3.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

REDACTED = "<redacted>"

_SECRET_NAMES = (
    r"Authorization|X-Amz-Security-Token|SecurityToken|SessionToken|SecretAccessKey"
    r"|aws_secret_access_key|aws_session_token|NewPassword|OldPassword|Password"
)
_PATTERNS = (
    # 'Authorization': b'AWS4-HMAC-SHA256 ...'   "SessionToken": "..."   (reprs and JSON)
    re.compile(
        rf"""(?P<key>['"](?:{_SECRET_NAMES})['"]\s*:\s*b?)(?P<q>['"])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)""",
        re.IGNORECASE,
    ),
    # <SecretAccessKey>...</SecretAccessKey>   (XML answers)
    re.compile(rf"(?P<key><(?P<tag>{_SECRET_NAMES})>)(?P<value>[^<]*)(?=</(?P=tag)>)", re.I),
    # Password=...&   X-Amz-Security-Token=...   (query strings and form bodies)
    re.compile(rf"(?P<key>(?<![\w-])(?:{_SECRET_NAMES})=)(?P<value>[^&\s'\"]*)", re.I),
    # x-amz-security-token:...   authorization: ...   (canonical requests, header dumps)
    re.compile(r"(?P<key>^(?:x-amz-security-token|authorization):)(?P<value>.*)$", re.I | re.M),
    # Signature=<hex> and the signature botocore.auth logs on its own line
    re.compile(r"(?P<key>Signature[=:]\s*)(?P<value>[0-9a-f]{64})", re.I),
)


def redact(text: str) -> str:
    """``text`` with every secret value (see the module docstring) replaced by ``<redacted>``."""
    for pattern in _PATTERNS:
        text = pattern.sub(_replace, text)
    return text


def _replace(match: re.Match[str]) -> str:
    groups = match.groupdict()
    quote = groups.get("q") or ""
    return f"{groups['key']}{quote}{REDACTED}{quote}"


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and any traceback) passes :func:`redact`."""

    def format(self, record: logging.LogRecord) -> str:
        """Format ``record`` as usual, then redact the whole text."""
        return redact(super().format(record))


_QUIET_LOGGERS = ("botocore.hooks", "botocore.loaders", "botocore.regions")
"""botocore loggers that say nothing about the wire (event dispatch, model files) and would
drown it out."""


def enable_wire_log(stream: TextIO | None = None) -> logging.Handler:
    """Log botocore's and urllib3's debug records, redacted, to ``stream`` (standard error).

    Returns the handler (to remove it again). Idempotent per stream only in effect: calling it
    twice logs twice.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("botocore", "urllib3", "stalecreds"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    return handler
