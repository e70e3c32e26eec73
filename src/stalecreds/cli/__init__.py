"""The ``stalecreds`` command line: parse options, run the library, choose the exit code.

Exit codes: 0 no findings, 1 findings, 2 usage or input error, 3 AWS error or partial result.
"""

from __future__ import annotations

import click

from stalecreds import __version__
from stalecreds.cli.remediate_cmd import apply, plan, undo
from stalecreds.cli.scan_cmd import demo, history_command, merge, scan


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="stalecreds")
def main() -> None:
    """Find unused AWS IAM console passwords and access keys, and take them out of service."""


for _command in (scan, plan, apply, undo, merge, history_command, demo):
    main.add_command(_command)

__all__ = ["main"]
