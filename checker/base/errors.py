"""Errors that reach the user as one line: the file, the field, what is wrong and the fix."""

from __future__ import annotations

from checker.base.patterns import compile_pattern

# Control characters (a terminal escape, a carriage return) are shown escaped, never sent as they are.
_CONTROL = compile_pattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# An error quotes what it found; a value pasted from the records is cut so that the error line never
# carries more of a claimant's record than a short excerpt.
MAX_PART_CHARS = 300
MAX_NAME_CHARS = 80  # one name in a field's path (a key of the file)
# Where a fix sends a user who needs a drug, service or fact the packaged rules lack: an installed
# copy's own rule files cannot be edited, a site folder beside them can.
SITE_RULES = "a site rule folder passed with --rules-extra DIR (see README, Site rules)"


class InputError(Exception):
    """Bad input (case file, rule file, command-line value); the CLI prints it and exits 2."""

    def __init__(self, path: str, field: str, problem: str, fix: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        field = _bounded(".".join(_bounded(name, MAX_NAME_CHARS) for name in self.field.split(".")))
        problem, fix = _bounded(self.problem), _bounded(self.fix)
        where = f"{self.path}: {field}" if field else self.path
        line = f"{where}: {problem}; fix: {fix}"
        line = " ".join(line.splitlines())  # one line, whatever the input held
        return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", line)


def _bounded(text: str, limit: int = MAX_PART_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class EngineError(Exception):
    """The rule engine failed or misbehaved; never a silent wrong answer."""
