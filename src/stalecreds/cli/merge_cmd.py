"""``stalecreds merge``: JSON results of several runs (e.g. ``--shard``) as one document."""

from __future__ import annotations

import json
from pathlib import Path

import click

from stalecreds.cli.common import emit, handle_errors, note, stdout_if_dash


@click.command()
@click.argument(
    "inputs", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path)
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    callback=stdout_if_dash,
    help="Write the merged JSON to FILE (atomically) instead of standard output (- for it).",
)
def merge(inputs: tuple[Path, ...], output: Path | None) -> None:
    """Merge JSON results (e.g. of --shard runs) into one JSON document.

    The inputs must share schema_version and max_age_days; the summary is counted again.
    """
    from stalecreds.formats.merge import merge_documents, read_documents

    with handle_errors():
        merged = merge_documents(read_documents(inputs))
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    emit(lambda out: out.write(text), output, streams=True)
    if output is not None:
        note(
            f"wrote {output} ({merged['summary']['credentials']} credentials from "
            f"{len(inputs)} inputs)"
        )
