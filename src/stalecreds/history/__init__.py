"""Scan history: a SQLite store of what each scan saw, and findings over time (the trend).

:class:`History` opens, migrates and writes the store; :mod:`stalecreds.history.trend` is pure.
It builds on the model and the rules only (no AWS, no remediation); a problem is a
:class:`~stalecreds.errors.HistoryError`.
"""

from __future__ import annotations

from stalecreds.errors import HistoryError
from stalecreds.history.store import History, default_history_path, history_file
from stalecreds.history.trend import TrendPoint

__all__ = ["History", "HistoryError", "TrendPoint", "default_history_path", "history_file"]
