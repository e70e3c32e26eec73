"""Match credential report key slots to access key IDs. Pure: no I/O.

The report names keys by slot (1, 2) and has no key IDs; ``ListAccessKeys`` has IDs but no
slots and may list keys in any order. A slot is matched to the one listed key whose
``CreateDate`` equals the slot's ``access_key_N_last_rotated`` to the second
(``shared/cases/api-cases.md`` case 8). No match, or more than one, gives no ID: such a key is
never acted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from stalecreds.model import AccessKey, Status


class ListedKey(NamedTuple):
    """One entry of ``ListAccessKeys`` ``AccessKeyMetadata``: ID, ``Status`` and ``CreateDate``."""

    access_key_id: str
    status: Status
    created: datetime


class SlotMatch(NamedTuple):
    """The outcome of matching one report slot: the listed key, or ``None`` and why not."""

    slot: int
    key: ListedKey | None
    problem: str | None


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def match_slots(report_keys: Sequence[AccessKey], listed: Sequence[ListedKey]) -> list[SlotMatch]:
    """Match each report key (with a slot) to at most one listed key, by creation second.

    Returns one :class:`SlotMatch` per report key, in order. ``problem`` is ``"missing"`` when no
    listed key was created at that second (deleted or replaced since the report) and
    ``"ambiguous"`` when several were, or when two slots share the second.
    """
    by_second: dict[datetime, list[ListedKey]] = {}
    for listed_key in listed:
        by_second.setdefault(_second(listed_key.created), []).append(listed_key)
    slot_seconds = [_second(key.created) for key in report_keys]
    matches: list[SlotMatch] = []
    for report_key, second in zip(report_keys, slot_seconds, strict=True):
        slot = report_key.slot or 0
        candidates = by_second.get(second, [])
        if not candidates:
            matches.append(SlotMatch(slot, None, "missing"))
        elif len(candidates) > 1 or slot_seconds.count(second) > 1:
            matches.append(SlotMatch(slot, None, "ambiguous"))
        else:
            matches.append(SlotMatch(slot, candidates[0], None))
    return matches
