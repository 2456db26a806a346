"""Writes the README's list of lint checks from the checks' modules (checker/lint/checks/): each
check's ID, title and documentation without its examples, between the two marker lines. Run it after
adding or changing a check; tests/test_lint_checks.py fails while the README differs.

    python tools/lint_checks_readme.py
"""

from __future__ import annotations

from pathlib import Path

from checker.lint import CHECKS
from checker.render.render import environment

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- lint checks: written by python tools/lint_checks_readme.py from checker/lint/checks/; edit the modules, not this list -->\n"
END = "<!-- end of lint checks -->\n"


def checks_list() -> str:
    return environment().get_template("rules_lint_checks.md.j2").render(checks=list(CHECKS.values()))


def with_checks_list(readme: str) -> str:
    """The README text with the list between the markers made anew."""
    before, rest = readme.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    return f"{before}{BEGIN}{checks_list()}{END}{after}"


def main() -> None:
    README.write_text(with_checks_list(README.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
