"""The errors stalecreds raises: one tree. Every one prints as a single line a person can act on.

One base per concern; each is raised only by its concern. The command line's exit code for each
is on the right (``stalecreds.cli.common.exit_code_for``)::

    StalecredsError                 base of everything stalecreds raises on purpose        2
     ├── RequestError               a request contradicts itself or selects nothing        2
     │                              (workflows; account IDs and shards in accounts/)
     ├── ConfigError                the local setup cannot serve the request: an AWS       2
     │                              profile that does not exist, the demo without moto
     ├── InputError                 a file or stream could not be read as what it should   2
     │    │                         be: report, plan, journal, config, accounts file
     │    ├── ReportFormatError     a credential report cell, row or header is malformed   2
     │    └── PlanFormatError       a plan file is malformed (remediate/plan_file.py)      2
     ├── PlanError                  a plan that was read may not be used (remediate/)      2
     │    └── PlanRefused           too old, from the future, for another account, or      2
     │                              not consistent with itself
     ├── HistoryError               the scan history cannot be opened, read or written     2
     └── AwsError                   an AWS API call failed after botocore's retries (aws/) 3

A library caller catches :class:`StalecredsError` for all of them; nothing else is raised on
purpose (a bug may still raise anything).
"""

from __future__ import annotations


class StalecredsError(Exception):
    """Base class of every error stalecreds raises on purpose."""


class RequestError(StalecredsError):
    """A request contradicts itself or selects nothing to act on.

    The message names the options as the command line spells them (``--ou needs --org``), so the
    command line can print it unchanged as a usage error.
    """


class ConfigError(StalecredsError):
    """The local setup cannot serve the request; no AWS call was made.

    For example an AWS profile that does not exist, or a missing optional dependency (moto).
    """


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


class PlanError(StalecredsError):
    """A plan (or its journal) that was read may not be used as it is."""


class PlanRefused(PlanError):
    """The plan may not be applied at all: too old, or made for another account."""


class HistoryError(StalecredsError):
    """The history database cannot be opened, migrated, read or written."""
