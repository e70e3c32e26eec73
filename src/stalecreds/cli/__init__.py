"""The ``stalecreds`` command line: parse options, run the library, render, choose the exit code.

One module per command (``scan_cmd``, ``plan_cmd``, ``apply_cmd`` for apply and undo,
``history_cmd``, ``merge_cmd``, ``demo_cmd``); ``scan_options`` turns the scan options into a
library :class:`~stalecreds.workflows.scan.ScanRequest`; ``common`` holds exit codes, error
lines, output writing and prompts. The workflows themselves are :mod:`stalecreds.workflows`.

Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 AWS error or partial result,
4 some accounts or report files could not be scanned.
"""

from __future__ import annotations

import click

from stalecreds import __version__
from stalecreds.cli.apply_cmd import apply, undo
from stalecreds.cli.demo_cmd import demo
from stalecreds.cli.history_cmd import history_command
from stalecreds.cli.merge_cmd import merge
from stalecreds.cli.plan_cmd import plan
from stalecreds.cli.scan_cmd import scan


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="stalecreds")
def main() -> None:
    """Find unused AWS IAM console passwords and access keys, and take them out of service."""


for _command in (scan, plan, apply, undo, merge, history_command, demo):
    main.add_command(_command)

__all__ = ["main"]
