"""The CLI on a real terminal (a pseudo-terminal from the stdlib ``pty`` module).

Issue 12 items 6, 7 and 9: the apply and undo prompts answered "n" (a normal answer: exit 0, no
``error:``), what they say before asking, Ctrl-C (SIGINT to the whole process group, as a
terminal sends it) ending a run with exit 130 and one line, even while the two-process split
scan's child is running, and the progress bar of a long read. Each run is a fresh
``python -m stalecreds`` whose standard streams are the terminal; moto serves IAM over HTTP.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stalecreds.cli.common import EXIT_INTERRUPTED
from stalecreds.report.split_scan import MIN_SPLIT_BYTES
from tests.conftest import ROOT, report_row
from tests.test_apply import Account, key_status, login_profile
from tests.test_remediate_cli import journal_of, nothing_changed, run, write_plan

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pseudo-terminal")

_STARTED: list[subprocess.Popen[bytes]] = []


@pytest.fixture(autouse=True)
def _no_process_left() -> Any:
    """A failed test leaves no stalecreds process running."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Journals under tmp_path, never the user's data folder (as in test_remediate_cli)."""
    home = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def account(iam: Any, data_home: Path) -> Account:
    return Account(iam, datetime.now(UTC).replace(microsecond=0))


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """``python -m stalecreds ARGS`` on a pseudo-terminal: read what it shows, type, signal."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        environment = {**os.environ, "COLUMNS": "100", "PYTHONPATH": str(ROOT / "src")}
        environment.pop("NO_COLOR", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stalecreds", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env={**environment, **(env or {})},
            start_new_session=True,  # its own process group, as a shell's foreground job
            # A job started in the background by a non-interactive shell ignores SIGINT, and so
            # would Python under it; a terminal's foreground job does not.
            preexec_fn=_default_sigint,
        )
        os.close(slave)
        _STARTED.append(self.process)
        self.output = b""

    def read_until(self, text: str, timeout: float = 60) -> str:
        """Read until ``text`` has been shown (or fail after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown; the terminal shows:\n{self.text}")
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"ended before showing {text!r}:\n{self.text}")
        return self.text

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def interrupt(self) -> None:
        """Ctrl-C: SIGINT to every process of the job (a forked child included)."""
        os.killpg(self.process.pid, signal.SIGINT)

    def finish(self, timeout: float = 60) -> int:
        """Read to the end; the exit code."""
        deadline = time.monotonic() + timeout
        while self._read(max(0.0, deadline - time.monotonic())):
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"still running after {timeout} s:\n{self.text}")
        code = self.process.wait(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return code

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return True  # nothing yet; the caller checks its deadline
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: every writer closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace").replace("\r\n", "\n")


def test_apply_answered_no_changes_nothing_and_exits_0(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    terminal = Terminal("apply", str(plan_path), cwd=tmp_path)
    shown = terminal.read_until("[y/N]")
    # The question says how many steps cannot be undone, and which.
    assert "Apply 4 steps to 123456789012? 2 of them cannot be undone" in shown
    assert "(1 delete-access-key, 1 delete-login-profile)" in shown
    terminal.type("n\n")
    assert terminal.finish() == 0
    assert "stalecreds: nothing was changed" in terminal.text
    assert "error" not in terminal.text
    assert "Traceback" not in terminal.text
    nothing_changed(account.iam, account)
    assert not journal_of(data_home, plan_path).exists()


def test_undo_previews_what_it_reverses_and_no_keeps_everything(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    assert run("apply", str(plan_path), "--yes").exit_code == 0
    journal = journal_of(data_home, plan_path)
    terminal = Terminal("undo", str(journal), cwd=tmp_path)
    shown = terminal.read_until("[y/N]")
    assert "Applied steps (4)" in shown
    assert shown.count("reactivate the key") == 2
    for key in (account.stale_key, account.never_key, account.old_inactive):
        assert any(key in line for line in shown.splitlines()), f"{key} is split:\n{shown}"
    assert shown.count("nothing: a deleted") == 2  # the deleted key and the deleted password
    assert "Undo 2 steps? (2 other steps cannot be undone and will only be listed.)" in shown
    terminal.type("n\n")
    assert terminal.finish() == 0
    assert "stalecreds: nothing was changed" in terminal.text
    assert "error" not in terminal.text
    assert key_status(account.iam, "stale-key", account.stale_key) == "Inactive"
    assert key_status(account.iam, "never-key", account.never_key) == "Inactive"
    assert login_profile(account.iam, "stale-pw") is None


def test_ctrl_c_at_the_prompt_exits_130_with_one_line(account, tmp_path, data_home):
    plan_path = write_plan(account, tmp_path)
    terminal = Terminal("apply", str(plan_path), cwd=tmp_path)
    terminal.read_until("[y/N]")
    time.sleep(0.5)  # as a person would: input() is waiting once the prompt is shown
    terminal.interrupt()
    assert terminal.finish() == EXIT_INTERRUPTED
    lines = [line for line in terminal.text.splitlines() if line.strip()]
    assert lines[-1] == "stalecreds: interrupted"
    assert "Aborted" not in terminal.text
    assert "Traceback" not in terminal.text
    nothing_changed(account.iam, account)


@pytest.fixture(scope="module")
def large_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A report large enough for the two-process split scan (and the progress bar)."""
    path = tmp_path_factory.mktemp("large") / "report.csv"
    rows: list[str] = []
    size = 0
    number = 0
    while size < 5 * MIN_SPLIT_BYTES:
        number += 1
        row = report_row(
            user=f"user{number:07d}",
            arn=f"arn:aws:iam::111122223333:user/user{number:07d}",
            password_enabled="true",
            password_last_used="2025-01-01T00:00:00+00:00",
            password_last_changed="2024-01-01T00:00:00+00:00",
            access_key_1_active="true",
            access_key_1_last_rotated="2023-01-01T00:00:00+00:00",
            access_key_1_last_used_date="2025-05-01T00:00:00+00:00",
            access_key_1_last_used_region="us-east-1",
            access_key_1_last_used_service="s3",
        )
        rows.append(row)
        size += len(row) + 1
    from tests.conftest import report

    path.write_text(report(*rows), encoding="utf-8")
    return path


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


@pytest.mark.parametrize("delay", [0.0, 0.4])
def test_ctrl_c_during_a_split_scan_exits_130_without_a_traceback(large_report, tmp_path, delay):
    output = tmp_path / "out.json"
    terminal = Terminal(
        "scan",
        "--report",
        str(large_report),
        "--as-of",
        "2025-06-01T00:00:00Z",
        "--format",
        "json",
        "-o",
        str(output),
        cwd=tmp_path,
    )
    # The progress bar shows on the terminal once reading starts; then wait for the forked
    # child that scans the second half, and interrupt both.
    terminal.read_until("reading")
    deadline = time.monotonic() + 30
    while not _children(terminal.process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    forked = _children(terminal.process.pid)
    time.sleep(delay)  # while the child starts, or while both scan
    terminal.interrupt()
    code = terminal.finish()
    text = terminal.text
    assert code == EXIT_INTERRUPTED, text
    assert "stalecreds: interrupted" in text
    assert "Traceback" not in text
    assert "KeyboardInterrupt" not in text
    assert not output.exists()  # never half a file
    assert not list(tmp_path.glob(".out.json.*"))  # nor a temporary one
    if forked:  # the child is gone too
        for pid in forked:
            assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_the_progress_bar_shows_on_a_terminal_and_is_gone_after(large_report, tmp_path):
    output = tmp_path / "out.txt"
    terminal = Terminal(
        "scan",
        "--report",
        str(large_report),
        "--as-of",
        "2025-06-01T00:00:00Z",
        "-o",
        str(output),
        cwd=tmp_path,
    )
    code = terminal.finish(timeout=120)
    assert code == 1, terminal.text  # findings
    assert "reading" in terminal.text
    assert "stalecreds: wrote" in terminal.text
    assert "reading" not in output.read_text(encoding="utf-8")  # stderr only


def test_quiet_shows_no_progress_bar(large_report, tmp_path):
    terminal = Terminal(
        "-q",
        "scan",
        "--report",
        str(large_report),
        "--as-of",
        "2025-06-01T00:00:00Z",
        "--format",
        "json",
        "-o",
        str(tmp_path / "out.json"),
        cwd=tmp_path,
    )
    assert terminal.finish(timeout=120) == 1
    assert "reading" not in terminal.text
    assert "stalecreds: wrote" not in terminal.text  # a note, which --quiet drops
