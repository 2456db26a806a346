"""Errors that reach the user as one line: the file, the field, what is wrong and the fix."""

from __future__ import annotations


class InputError(Exception):
    """Bad input (case file, rule file, command-line value); the CLI prints it and exits 2."""

    def __init__(self, path: str, field: str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = f"{self.path}: {self.field}" if self.field else self.path
        line = f"{where}: {self.problem}; fix: {self.fix}"
        return " ".join(line.splitlines())  # one line, whatever the input held


class EngineError(Exception):
    """The rule engine failed or misbehaved; never a silent wrong answer."""
