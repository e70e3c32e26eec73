"""The ``stalecreds`` command line: parse options, run the library, render, choose the exit code.

One module per command (``scan_cmd``, ``plan_cmd``, ``apply_cmd`` for apply and undo,
``history_cmd``, ``merge_cmd``, ``demo_cmd``); ``scan_options`` turns the scan options into a
library :class:`~stalecreds.workflows.scan.ScanRequest`; ``common`` holds exit codes, error
lines, output writing and prompts. The workflows themselves are :mod:`stalecreds.workflows`.

Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 AWS error or partial result,
4 some accounts or report files could not be scanned, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from stalecreds import __version__
from stalecreds.cli.apply_cmd import apply, undo
from stalecreds.cli.common import EXIT_INTERRUPTED, Verbosity, set_verbosity
from stalecreds.cli.demo_cmd import demo
from stalecreds.cli.history_cmd import history_command
from stalecreds.cli.merge_cmd import merge
from stalecreds.cli.plan_cmd import plan
from stalecreds.cli.scan_cmd import scan

COMPLETION_HELP = """\b
Shell completion (bash, zsh, fish), e.g. for bash in ~/.bashrc:
  eval "$(_STALECREDS_COMPLETE=bash_source stalecreds)"
"""


class _Group(click.Group):
    """The top-level group: Ctrl-C anywhere ends the run with one line and exit code 130."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn an interrupt (or an interrupted prompt) into exit 130."""
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, click.Abort):
            # NOTE: click turns Ctrl-C at a prompt into Abort; both end here, calmly.
            _stop_children()
            click.echo("\nstalecreds: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


def _stop_children() -> None:
    """Stop any child process still running (a split scan's, interrupted while it worked)."""
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    for child in multiprocessing.active_children():
        child.terminate()
        child.join()


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=COMPLETION_HELP,
)
@click.version_option(__version__, prog_name="stalecreds")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Print results and errors only: no progress bars, notes or warnings.",
)
@click.option("-v", "--verbose", is_flag=True, help="Print every warning, not only the first ten.")
@click.option(
    "--debug",
    is_flag=True,
    help="Log botocore's requests and answers to standard error (secrets redacted).",
)
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the tables even when they are piped, or never. Default: on a terminal, "
    "unless NO_COLOR is set.",
)
def main(quiet: bool, verbose: bool, debug: bool, color: bool | None) -> None:
    """Find unused AWS IAM console passwords and access keys, and take them out of service."""
    from stalecreds.formats.console import use_color

    if quiet and verbose:
        raise click.UsageError("give either --quiet or --verbose, not both")
    set_verbosity(Verbosity.QUIET if quiet else Verbosity.VERBOSE if verbose else Verbosity.NORMAL)
    use_color(color)
    if debug:
        from stalecreds.aws.wire_log import enable_wire_log

        enable_wire_log()


for _command in (scan, plan, apply, undo, merge, history_command, demo):
    main.add_command(_command)

__all__ = ["main"]
