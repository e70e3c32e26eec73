"""Judging credentials: thresholds, verdicts, findings, exemptions, and the dated AWS facts.

Pure: no I/O and no clock (except :func:`load_exemptions`, which reads a TOML file). Everything
above builds on these; they build only on :mod:`stalecreds.model`.
"""

from __future__ import annotations

from stalecreds.rules.assessment import Assessment, FindingRule, assess
from stalecreds.rules.exemptions import DEFAULT_TAG_KEY, ExemptionRule, Exemptions, load_exemptions
from stalecreds.rules.verdicts import (
    DEFAULT_MAX_AGE_DAYS,
    FINDING_VERDICTS,
    Judgement,
    Thresholds,
    Verdict,
    VerdictRules,
)

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "DEFAULT_TAG_KEY",
    "FINDING_VERDICTS",
    "Assessment",
    "ExemptionRule",
    "Exemptions",
    "FindingRule",
    "Judgement",
    "Thresholds",
    "Verdict",
    "VerdictRules",
    "assess",
    "load_exemptions",
]
