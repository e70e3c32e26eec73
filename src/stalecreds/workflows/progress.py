"""What a workflow tells its caller while it runs: an observer the caller passes, or nothing.

The library never prints. The command line passes an observer that draws a progress bar on
standard error (when it is a terminal) and says when it waits for IAM's credential report; a
library caller passes nothing and gets no output, or its own observer (a log, a notebook
widget). Every hook runs on the thread that called the workflow, one call at a time (accounts
are scanned on worker threads, but their results are collected, and told, there).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import IO, Protocol

from stalecreds.accounts.selection import Account


class Observer(Protocol):
    """The hooks a workflow calls. Subclass :class:`QuietObserver` to override only some."""

    def report_waiting(self, state: str) -> None:
        """IAM is still generating the account's credential report.

        ``state`` is ``GenerateCredentialReport``'s ``State`` (``STARTED``, ``INPROGRESS``);
        each state is told once per scan.
        """

    def reading(self, stream: IO[bytes]) -> contextlib.AbstractContextManager[object]:
        """A context for the reading of one report ``stream`` (a progress bar of its offset).

        Entered once the report is open, left once it is read (before anything is written).
        """

    def accounts_started(self, total: int) -> None:
        """A scan of ``total`` accounts or report files begins."""

    def account_done(self, account: Account, ok: bool) -> None:
        """One account (or report file) is done; ``ok`` is false when it could not be scanned."""

    def accounts_finished(self) -> None:
        """The accounts are done (also when the scan stops on an error)."""

    def journal_opened(self, path: Path) -> None:
        """Apply recorded its start in the journal at ``path``, before its first step."""


class QuietObserver:
    """An :class:`Observer` that does nothing: the default, and a base to override hooks of."""

    def report_waiting(self, state: str) -> None:
        """Do nothing."""

    def reading(self, stream: IO[bytes]) -> contextlib.AbstractContextManager[object]:
        """Nothing to show."""
        return contextlib.nullcontext()

    def accounts_started(self, total: int) -> None:
        """Do nothing."""

    def account_done(self, account: Account, ok: bool) -> None:
        """Do nothing."""

    def accounts_finished(self) -> None:
        """Do nothing."""

    def journal_opened(self, path: Path) -> None:
        """Do nothing."""


QUIET = QuietObserver()
"""The observer of a caller who passes none."""
