"""The apply journal: one durable JSON line per record, tolerant of a torn last line."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stalecreds.errors import InputError
from stalecreds.remediate import journal as journal_module
from stalecreds.remediate.journal import (
    TORN_WRITE,
    Journal,
    JournalContents,
    check_journal,
    deactivations,
    default_journal_path,
    journal_directory,
    load_journal,
    read_journal,
    step_outcomes,
)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, *records: dict | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")
    return path


# --- writing ----------------------------------------------------------------------------------


def test_each_record_is_one_line_on_disk_before_record_returns(tmp_path, monkeypatch):
    path = tmp_path / "nested" / "folder" / "plan.jsonl"
    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        # The line must already be flushed to the file when fsync is asked for.
        synced.append(len(path.read_text(encoding="utf-8").splitlines()))
        real_fsync(fd)

    monkeypatch.setattr(journal_module.os, "fsync", fsync)
    before = datetime.now(UTC)
    with Journal(path) as journal:
        journal.record("apply-start", plan_id="p1", caller="arn:aws:iam::1:user/ops")
        assert len(lines_of(path)) == 1
        journal.record(
            "step-start",
            step_id="111122223333/bob/AKIABOB0000000000001/deactivate-access-key",
            access_key_id="AKIABOB0000000000001",
            when=datetime(2025, 6, 1, tzinfo=UTC),
            user="bøb",
        )
        assert len(lines_of(path)) == 2
    after = datetime.now(UTC)
    assert synced == [1, 2]
    first, second = lines_of(path)
    assert list(first) == ["event", "time", "plan_id", "caller"]
    assert first["event"] == "apply-start"
    assert first["plan_id"] == "p1"
    assert first["caller"] == "arn:aws:iam::1:user/ops"
    moment = datetime.fromisoformat(first["time"])
    assert moment.utcoffset() == timedelta(0)
    assert before <= moment <= after
    # Non-JSON values are written with str(); non-ASCII stays readable.
    assert second["when"] == "2025-06-01 00:00:00+00:00"
    assert '"user": "bøb"' in path.read_text(encoding="utf-8")


def test_a_journal_appends_to_an_existing_file(tmp_path):
    path = write_lines(tmp_path / "j.jsonl", {"event": "apply-start", "plan_id": "p1"})
    with Journal(path) as journal:
        journal.record("apply-start", plan_id="p1")
    assert [r["event"] for r in lines_of(path)] == ["apply-start", "apply-start"]


def test_default_journal_path_is_under_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert journal_directory() == tmp_path / "stalecreds" / "journals"
    assert default_journal_path("p-1") == tmp_path / "stalecreds" / "journals" / "p-1.jsonl"


# --- reading ----------------------------------------------------------------------------------


def test_read_journal_returns_every_record_in_order(tmp_path):
    path = write_lines(
        tmp_path / "j.jsonl",
        {"event": "apply-start", "plan_id": "p1"},
        "",
        {"event": "step-start", "step_id": "s1"},
        {"event": "step-end", "step_id": "s1", "outcome": "applied"},
    )
    assert read_journal(path) == [
        {"event": "apply-start", "plan_id": "p1"},
        {"event": "step-start", "step_id": "s1"},
        {"event": "step-end", "step_id": "s1", "outcome": "applied"},
    ]


def test_a_missing_journal_has_no_records(tmp_path):
    assert read_journal(tmp_path / "none.jsonl") == []


def test_a_torn_last_line_is_ignored(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text(
        '{"event": "step-start", "step_id": "s1"}\n{"event": "step-end", "step_id": "s1", "out',
        encoding="utf-8",
    )
    assert read_journal(path) == [{"event": "step-start", "step_id": "s1"}]


def test_a_bad_middle_line_is_an_error_naming_the_line(tmp_path):
    path = write_lines(
        tmp_path / "j.jsonl",
        {"event": "step-start", "step_id": "s1"},
        '{"event": "step-end", "step_id": "s1", "out',
        {"event": "step-start", "step_id": "s2"},
    )
    with pytest.raises(InputError) as caught:
        read_journal(path)
    assert caught.value.line == 2
    assert str(caught.value) == (
        f"{path}, line 2, column 40: not a journal line: Unterminated string starting at"
    )


@pytest.mark.parametrize("line", ['["step-start"]', '{"step_id": "s1"}'])
def test_a_line_that_is_not_a_record_is_an_error(tmp_path, line):
    path = write_lines(tmp_path / "j.jsonl", {"event": "apply-start"}, line)
    with pytest.raises(InputError) as caught:
        read_journal(path)
    assert str(caught.value) == f"{path}, line 2: not a journal record"


def test_a_journal_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_bytes(b'{"event": "apply-start", "user": "b\xf8b"}\n')
    with pytest.raises(InputError, match="cannot read the journal"):
        read_journal(path)


def test_a_torn_last_line_is_reported_by_its_number(tmp_path):
    path = tmp_path / "j.jsonl"
    start = json.dumps({"event": "apply-start", "plan_id": "p1"})
    path.write_text(f"{start}\n{start[:11]}", encoding="utf-8")
    assert load_journal(path) == JournalContents([{"event": "apply-start", "plan_id": "p1"}], (2,))
    # Cut even shorter, or inside a multi-byte character: still the start of a record.
    path.write_text(f"{start}\n{{", encoding="utf-8")
    assert load_journal(path).torn_lines == (2,)
    path.write_bytes(f"{start}\n".encode() + '{"event": "step-end", "user": "bø'.encode()[:-1])
    assert load_journal(path).torn_lines == (2,)


def test_a_whole_last_record_without_its_newline_is_kept(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "apply-start", "plan_id": "p1"}', encoding="utf-8")
    assert load_journal(path) == JournalContents([{"event": "apply-start", "plan_id": "p1"}], ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "hello\n",
            "line 1, column 1: not a journal line: Expecting value",
        ),  # echo hello > j.jsonl
        ("hello", "line 1: not a journal record"),  # not the start of a record either
        ('{"event": "apply-start"}\n{"evt', "line 2: not a journal record"),
        (
            '{"event": "step-start", "step_id": "s1"\n',
            "line 1, column 40: not a journal line: Expecting",
        ),
    ],
)
def test_only_a_cut_short_record_at_the_very_end_is_tolerated(tmp_path, text, message):
    path = tmp_path / "j.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_journal(path)
    assert str(caught.value).startswith(f"{path}, {message}")


def test_a_record_glued_onto_a_torn_one_is_recovered(tmp_path):
    # What earlier versions wrote after a crash: the next apply-start straight after the piece.
    path = tmp_path / "j.jsonl"
    step = {"event": "step-start", "step_id": "s1"}
    path.write_text(
        json.dumps({"event": "apply-start", "plan_id": "p1"})
        + "\n"
        + json.dumps(step)
        + "\n"
        + '{"event": "step-end", "step_id": "s1", "outcome": "app'
        + json.dumps({"event": "apply-start", "plan_id": "p1"})
        + "\n",
        encoding="utf-8",
    )
    assert load_journal(path) == JournalContents(
        [
            {"event": "apply-start", "plan_id": "p1"},
            step,
            {"event": "apply-start", "plan_id": "p1"},
        ],
        (3,),
    )


def test_appending_after_a_torn_line_starts_a_fresh_line_and_keeps_the_piece(tmp_path):
    path = tmp_path / "j.jsonl"
    start = json.dumps({"event": "apply-start", "plan_id": "p1"})
    step_end = json.dumps({"event": "step-end", "step_id": "s1", "outcome": "applied"})
    path.write_text(f"{start}\n{step_end[:30]}", encoding="utf-8")
    with Journal(path) as journal:
        journal.record("apply-start", plan_id="p1")
    records = [{k: v for k, v in r.items() if k != "time"} for r in lines_of(path)]
    assert records == [
        {"event": "apply-start", "plan_id": "p1"},
        {"event": TORN_WRITE, "line": 2, "fragment": step_end[:30]},
        {"event": "apply-start", "plan_id": "p1"},
    ]
    assert load_journal(path).torn_lines == ()


def test_appending_after_a_whole_record_without_newline_adds_only_the_newline(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text('{"event": "apply-start", "plan_id": "p1"}', encoding="utf-8")
    with Journal(path) as journal:
        journal.record("apply-start", plan_id="p1")
    assert [r["event"] for r in lines_of(path)] == ["apply-start", "apply-start"]


def test_a_journal_refuses_to_append_to_a_file_that_ends_in_garbage(tmp_path):
    path = tmp_path / "j.jsonl"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: not a journal record"):
        Journal(path)
    assert path.read_text(encoding="utf-8") == "hello"


# --- whose journal ----------------------------------------------------------------------------


def test_check_journal_accepts_a_new_journal_and_the_plans_own():
    check_journal([], "j.jsonl", "p1")
    records = [
        {"event": "apply-start", "plan_id": "p1"},
        {"event": "step-end", "step_id": "s1", "outcome": "applied"},
        {"event": "apply-start", "plan_id": "p1"},
    ]
    check_journal(records, "j.jsonl", "p1")
    check_journal(records, "j.jsonl")
    # A torn first apply-start, set aside, is still the plan's journal.
    check_journal([{"event": TORN_WRITE, "line": 1, "fragment": "{"}, *records], "j.jsonl", "p1")


def test_check_journal_refuses_another_plans_journal():
    records = [
        {"event": "apply-start", "plan_id": "p1"},
        {"event": "step-end", "step_id": "s1", "outcome": "applied"},
    ]
    with pytest.raises(InputError) as caught:
        check_journal(records, "j.jsonl", "p2")
    assert str(caught.value) == (
        "j.jsonl: this journal is of plan p1, not of plan p2; apply with the plan's own journal "
        "(leave out --journal) or a new file"
    )


def test_check_journal_refuses_records_that_do_not_begin_with_apply_start():
    with pytest.raises(InputError) as caught:
        check_journal([{"event": "step-end", "step_id": "s1"}], "j.jsonl", "p1")
    assert str(caught.value) == (
        "j.jsonl: not a stalecreds journal (it begins with 'step-end', not apply-start)"
    )


# --- step outcomes ----------------------------------------------------------------------------


def test_step_outcomes_keep_the_last_step_record_and_mark_undone_steps():
    records = [
        {"event": "apply-start", "plan_id": "p1"},
        {"event": "step-start", "step_id": "a"},
        {"event": "step-end", "step_id": "a", "outcome": "failed"},
        {"event": "step-start", "step_id": "b"},
        {"event": "step-start", "step_id": "a"},
        {"event": "step-end", "step_id": "a", "outcome": "applied"},
        {"event": "undo-end", "step_id": "a", "outcome": "reactivated"},
        {"event": "step-end", "step_id": "c", "outcome": "skipped"},
    ]
    # "a" was applied, then undone: its outcome is the undo, so apply will not redo it.
    assert step_outcomes(records) == {
        "a": {"event": "undo-end", "step_id": "a", "outcome": "reactivated"},
        "b": {"event": "step-start", "step_id": "b"},
        "c": {"event": "step-end", "step_id": "c", "outcome": "skipped"},
    }


# --- deactivations (the quarantine clock) -----------------------------------------------------


def deactivated(key_id: str, when: str, outcome: str = "applied", **extra) -> dict:
    return {
        "event": "step-end",
        "time": when,
        "step_id": f"111122223333/bob/{key_id}/deactivate-access-key",
        "account_id": "111122223333",
        "user": "bob",
        "access_key_id": key_id,
        "action": "deactivate-access-key",
        "outcome": outcome,
        "detail": "access key deactivated",
        **extra,
    }


def test_deactivations_over_a_folder(tmp_path):
    folder = tmp_path / "journals"
    write_lines(
        folder / "20250501T000000Z-aaaa.jsonl",
        {"event": "apply-start", "time": "2025-05-01T00:00:00+00:00", "plan_id": "a"},
        {**deactivated("AKIAONE", "2025-05-01T00:00:01+00:00"), "event": "step-start"},
        deactivated("AKIAONE", "2025-05-01T00:00:02+00:00"),
        deactivated("AKIAFAILED", "2025-05-01T00:00:03+00:00", outcome="failed"),
        deactivated("AKIASKIPPED", "2025-05-01T00:00:04+00:00", outcome="skipped"),
        {**deactivated("AKIADELETED", "2025-05-01T00:00:05+00:00"), "action": "delete-access-key"},
        {**deactivated("AKIANOTIME", "2025-05-01T00:00:06+00:00"), "time": "soon"},
    )
    torn = write_lines(
        folder / "20250510T000000Z-bbbb.jsonl",
        deactivated("AKIATWO", "2025-05-10T12:00:00+00:00"),
    )
    with torn.open("a", encoding="utf-8") as file:
        file.write('{"event": "step-end", "torn')  # a crash-cut last line: no newline
    # Unreadable journals and other files are passed over.
    write_lines(folder / "broken.jsonl", "not json", deactivated("AKIABROKEN", "2025-05-11"))
    write_lines(folder / "notes.txt", deactivated("AKIATXT", "2025-05-12T00:00:00+00:00"))
    assert deactivations(folder) == {
        "AKIAONE": datetime(2025, 5, 1, 0, 0, 2, tzinfo=UTC),
        "AKIATWO": datetime(2025, 5, 10, 12, tzinfo=UTC),
    }


def test_deactivations_of_a_missing_folder_are_empty(tmp_path):
    assert deactivations(tmp_path / "nothing-here") == {}


def test_deactivations_default_to_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    write_lines(
        tmp_path / "stalecreds" / "journals" / "p.jsonl",
        deactivated("AKIAONE", "2025-05-01T00:00:00+00:00"),
    )
    assert deactivations() == {"AKIAONE": datetime(2025, 5, 1, tzinfo=UTC)}


def test_deactivations_count_from_the_latest_deactivation(tmp_path):
    # A key deactivated in May, reactivated by undo, and deactivated again in June has been
    # inactive since June: the quarantine before deletion must count from then, not from May.
    folder = tmp_path / "journals"
    write_lines(
        folder / "20250501T000000Z-aaaa.jsonl",
        deactivated("AKIAONE", "2025-05-01T00:00:00+00:00"),
        {
            "event": "undo-end",
            "time": "2025-05-02T00:00:00+00:00",
            "step_id": "111122223333/bob/AKIAONE/deactivate-access-key",
            "user": "bob",
            "access_key_id": "AKIAONE",
            "action": "deactivate-access-key",
            "outcome": "reactivated",
            "detail": "access key reactivated",
        },
    )
    write_lines(
        folder / "20250601T000000Z-bbbb.jsonl",
        deactivated("AKIAONE", "2025-06-01T00:00:00+00:00"),
    )
    assert deactivations(folder) == {"AKIAONE": datetime(2025, 6, 1, tzinfo=UTC)}


def test_deactivations_include_one_finished_by_a_resumed_apply(tmp_path):
    # An apply deactivated the key, then died before its step-end; the re-run found the key
    # Inactive and recorded "already-done". The key has been inactive since that first run, and
    # the quarantine must know it: without it, the plan falls back to the key's last use (months
    # ago) and deletes a key deactivated the day before.
    folder = tmp_path / "journals"
    step = deactivated("AKIAONE", "2025-05-01T00:00:00+00:00")
    write_lines(
        folder / "20250501T000000Z-aaaa.jsonl",
        {**step, "event": "step-start", "outcome": None, "detail": None},
        {
            **step,
            "time": "2025-05-01T02:00:00+00:00",
            "outcome": "already-done",
            "detail": "deactivated before the earlier run was interrupted",
        },
    )
    found = deactivations(folder)
    assert list(found) == ["AKIAONE"]
    assert (
        datetime(2025, 5, 1, tzinfo=UTC) <= found["AKIAONE"] <= datetime(2025, 5, 1, 2, tzinfo=UTC)
    )


def test_a_plan_given_as_a_journal_is_named(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{\n  "plan_id": "p1",\n  "steps": []\n}\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_journal(path)
    assert str(caught.value) == (
        f"{path}: this is a plan, not a journal (give it to apply as the plan)"
    )
