"""Shared rich consoles and table helpers of the CLI."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["console", "err_console", "print_json", "simple_table"]

# Off a terminal (pipes, CI logs) rich would wrap tables at 80 columns; use COLUMNS or a wide default.
_WIDTH = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
console = Console(highlight=False, soft_wrap=True, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH)


def print_json(data: Any) -> None:
    """Machine-readable output on stdout (no colours, no wrapping)."""
    sys.stdout.write(json.dumps(data, indent=1, default=str) + "\n")


def simple_table(title: str | None, columns: list[str], rows: list[list[Any]]) -> Table:
    """A rich table with the given header and rows (values shown with ``str``)."""
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c)
    for r in rows:
        table.add_row(*["" if v is None else escape(str(v)) for v in r])  # '[z; 1]' is text, not markup
    return table
