"""The errors stalecreds raises. Every one prints as a single line a person can act on.

::

    StalecredsError            base of everything stalecreds raises on purpose
     ├── InputError            a file or stream could not be read as what it should be
     │    └── ReportFormatError    a credential report cell, row or header is malformed
     └── AwsError              an AWS API call failed after botocore's retries
"""

from __future__ import annotations


class StalecredsError(Exception):
    """Base class of every error stalecreds raises on purpose."""


class InputError(StalecredsError):
    """An input could not be read. ``str()`` names the source, and the line and column if known.

    ``line`` and ``column`` are 1-based; ``column_name`` is the report column's header name.
    """

    def __init__(
        self,
        source: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        column_name: str | None = None,
    ) -> None:
        self.source = source
        self.message = message
        self.line = line
        self.column = column
        self.column_name = column_name
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
            if self.column_name:
                where += f" ({self.column_name})"
        return f"{where}: {self.message}"


class ReportFormatError(InputError):
    """A credential report is malformed: a missing column, a short row, a bad date or boolean."""


class AwsError(StalecredsError):
    """An AWS API call failed after botocore's retries.

    ``action`` is the IAM action (``iam:ListUsers``); ``code`` is the AWS error code
    (``AccessDenied``, ``Throttling`` …) or the botocore error class for transport failures.
    """

    def __init__(self, action: str, code: str, message: str) -> None:
        self.action = action
        self.code = code
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.action} failed: {self.code}: {self.message}"
