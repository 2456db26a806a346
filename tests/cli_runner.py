"""Run the `mtus` command in-process, as the CLI tests do."""

from __future__ import annotations

from click.testing import CliRunner, Result

from checker.cli import main


def run(*args: object, stdin: str | bytes | None = None) -> Result:
    """`mtus ARGS...` (each argument as text), with STDIN as its standard input when given."""
    return CliRunner().invoke(main, [str(a) for a in args], input=stdin)
