"""Shared test helpers: paths to ../shared/, and a builder for credential report rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from stalecreds.credential_report import REPORT_COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
"""The read-only shared folder (spec, sample reports, cases) beside the checkout."""
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
