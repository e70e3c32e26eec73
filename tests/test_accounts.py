"""Which accounts a run covers: account ID lists, accounts files, exclusions and stable shards.

Pure: no AWS. Shards must be stable (the same account in the same shard on every runner, in any
order, whatever the other accounts) and a partition (every account in exactly one shard).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from stalecreds.accounts.selection import (
    Account,
    parse_account_ids,
    parse_shard,
    read_accounts_file,
    select_accounts,
    shard_of,
    valid_account_id,
)
from stalecreds.errors import InputError, StalecredsError

A, B, C = "111122223333", "444455556666", "777788889999"


# --- parse_account_ids --------------------------------------------------------------------------


def test_parse_account_ids_splits_commas_strips_and_drops_duplicates_in_order():
    assert parse_account_ids([f" {B} , {A}", f"{A},,{C},", B]) == [B, A, C]
    assert parse_account_ids([]) == []
    assert parse_account_ids(["", " , "]) == []


@pytest.mark.parametrize(
    "bad",
    ["12345678901", "1234567890123", "11112222333a", "1111-2222-3333", "-11122223333", "+1" * 6],
)
def test_parse_account_ids_rejects_anything_but_12_digits(bad):
    with pytest.raises(StalecredsError) as caught:
        parse_account_ids([f"{A},{bad}"])
    assert str(caught.value) == f"--accounts: {bad.strip()!r} is not a 12-digit account ID"


def test_parse_account_ids_names_its_source():
    with pytest.raises(StalecredsError, match=r"^--exclude-account: '42' is not a 12-digit"):
        parse_account_ids(["42"], source="--exclude-account")


def test_an_account_id_is_12_ascii_digits():
    # str.isdigit() is true for other scripts' digits and for superscripts; an account ID
    # with them would go into a role ARN. Once a bug: valid_account_id uses isdigit().
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in A)  # FULLWIDTH DIGIT ONE …
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in A)
    for lookalike in (fullwidth, arabic_indic, "11112222333\u00b2"):
        assert not valid_account_id(lookalike), lookalike
        with pytest.raises(StalecredsError):
            parse_account_ids([lookalike])


# --- read_accounts_file -------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "accounts.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_file_with_comments_blank_lines_and_commas(tmp_path):
    path = write(
        tmp_path,
        "# production accounts\n"
        f"{A}   # payments\n"
        "\n"
        f"   {B},{C}\n"
        "   # a comment after spaces\n"
        f"{A}\n"  # again: kept once
        f"{C}#no space before the comment\n",
    )
    assert read_accounts_file(path) == [A, B, C]


def test_accounts_file_with_windows_line_ends(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(f"{A}\r\n# note\r\n{B}\r\n".encode())
    assert read_accounts_file(path) == [A, B]


def test_accounts_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(f"\ufeff{A}\r\n{B}\r\n".encode())
    assert read_accounts_file(path) == [A, B]


def test_an_empty_accounts_file_lists_nothing(tmp_path):
    assert read_accounts_file(write(tmp_path, "# nothing yet\n\n")) == []


def test_a_bad_line_is_named_with_the_file_and_line_number(tmp_path):
    path = write(tmp_path, f"# header\n{A}\n\n{B}, 12345 # typo\n{C}\n")
    with pytest.raises(InputError) as caught:
        read_accounts_file(path)
    error = caught.value
    assert (error.source, error.line) == (str(path), 4)
    assert str(error) == f"{path}, line 4: '12345' is not a 12-digit account ID"


def test_a_bad_line_in_a_file_whose_name_has_a_colon(tmp_path):
    # Once a bug: the message was cut out of the parser's error at its first ": ", which is
    # inside the path here, so the path leaks into the message.
    path = write(tmp_path, f"{A}\nnot-an-id\n", name="prod: eu.txt")
    with pytest.raises(InputError) as caught:
        read_accounts_file(path)
    assert str(caught.value) == f"{path}, line 2: 'not-an-id' is not a 12-digit account ID"


def test_an_unreadable_accounts_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError, match=r"nope\.txt: cannot read the accounts file"):
        read_accounts_file(missing)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"binary\.txt: cannot read the accounts file"):
        read_accounts_file(binary)


# --- parse_shard --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shard"), [("1/1", (1, 1)), ("2/8", (2, 8)), ("8/8", (8, 8)), ("10/12", (10, 12))]
)
def test_parse_shard(text, shard):
    assert parse_shard(text) == shard


@pytest.mark.parametrize("text", ["", "2", "2/", "/8", "a/b", "2/8/1", "2-8", "1.5/3", "two/8"])
def test_parse_shard_rejects_what_is_not_k_slash_n(text):
    with pytest.raises(ValueError) as caught:
        parse_shard(text)
    assert str(caught.value) == f"--shard must be K/N, like 2/8; got {text!r}"


@pytest.mark.parametrize("text", ["0/8", "9/8", "-1/8", "1/0", "0/0", "3/-2"])
def test_parse_shard_rejects_k_outside_1_to_n(text):
    with pytest.raises(ValueError) as caught:
        parse_shard(text)
    assert str(caught.value) == f"--shard {text}: K must be between 1 and N"


# --- shard_of -----------------------------------------------------------------------------------

THOUSAND = [f"{n:012d}" for n in random.Random(7).sample(range(10**12), 1000)]
"""1,000 distinct account IDs, some with leading zeros."""


def test_the_thousand_ids_are_distinct_account_ids():
    assert len(set(THOUSAND)) == 1000
    assert all(valid_account_id(i) for i in THOUSAND)


def test_shard_of_is_sha256_of_the_id_modulo_n():
    # The documented rule, restated: a runner in another language must find the same shard.
    for account_id in THOUSAND[:50]:
        digest = hashlib.sha256(account_id.encode("ascii")).digest()
        for n in (1, 2, 3, 8, 64):
            assert shard_of(account_id, n) == int.from_bytes(digest[:8], "big") % n + 1


def test_shard_of_known_values():
    # Pinned so that a change of the rule (which would move accounts between CI jobs) shows.
    ids = (A, B, C, "000000000000", "999999999999")
    assert [[shard_of(i, n) for n in (2, 3, 8)] for i in ids] == [
        [1, 1, 5],
        [2, 3, 8],
        [1, 2, 5],
        [2, 1, 4],
        [1, 2, 5],
    ]
    assert {shard_of(i, 1) for i in THOUSAND} == {1}


@pytest.mark.parametrize("n", range(1, 9))
def test_every_account_is_in_exactly_one_shard(n):
    accounts = [Account(i) for i in THOUSAND]
    shards = [select_accounts(accounts, shard=(k, n)) for k in range(1, n + 1)]
    chosen = [a.account_id for shard in shards for a in shard]
    assert sorted(chosen) == sorted(THOUSAND)  # each once: none lost, none twice
    # Roughly even (SHA-256 is uniform): every shard within 35 % of its fair share.
    for shard in shards:
        assert abs(len(shard) - 1000 / n) <= 0.35 * 1000 / n
    # Each shard keeps the input order.
    for shard in shards:
        positions = [THOUSAND.index(a.account_id) for a in shard]
        assert positions == sorted(positions)


def test_shards_are_stable_whatever_the_order_and_the_other_accounts():
    rng = random.Random(2025)
    everyone = [Account(i) for i in THOUSAND]
    for n in (2, 5, 8):
        reference = {a.account_id: shard_of(a.account_id, n) for a in everyone}
        shuffled = rng.sample(everyone, len(everyone))
        subset = shuffled[:137]
        for k in range(1, n + 1):
            assert {a.account_id for a in select_accounts(shuffled, shard=(k, n))} == {
                i for i, s in reference.items() if s == k
            }
            assert {a.account_id for a in select_accounts(subset, shard=(k, n))} == {
                a.account_id for a in subset if reference[a.account_id] == k
            }


# --- select_accounts ----------------------------------------------------------------------------


def test_select_accounts_keeps_order_and_names():
    accounts = [Account(C, "prod"), Account(A, "dev"), Account(B)]
    assert select_accounts(accounts) == accounts
    assert select_accounts(accounts, exclude=[A, "000000000000"]) == [
        Account(C, "prod"),
        Account(B),
    ]
    assert select_accounts(accounts, exclude=iter([C, B, A])) == []


def test_select_accounts_excludes_before_sharding():
    accounts = [Account(i) for i in THOUSAND[:40]]
    excluded = [a.account_id for a in accounts[::3]]
    for k in (1, 2, 3):
        chosen = select_accounts(accounts, exclude=excluded, shard=(k, 3))
        assert chosen == [
            a for a in accounts if a.account_id not in excluded and shard_of(a.account_id, 3) == k
        ]


def test_exclude_account_takes_comma_lists_and_refuses_bad_ids():
    # `--exclude-account 111,222` used to be one ID; a bad one was silently ignored.
    from stalecreds.accounts.selection import parse_account_ids as parse

    assert parse(["111122223333,444455556666"], "--exclude-account") == [
        "111122223333",
        "444455556666",
    ]
    with pytest.raises(StalecredsError, match="--exclude-account: 'nope' is not a 12-digit"):
        parse(["nope"], "--exclude-account")
