"""What a user gets from `pip install`: build the wheel from a clean copy of the checkout, compare its
files with the source tree's rule, template, cue and schema files, install it into a fresh virtual
environment and run, from a folder outside the checkout, the commands a user runs first.

    python tools/check_install.py [--work DIR] [--letters DIR]

One line per check; exit 0 when all pass, 1 at the first failure. The virtual environment reuses
pip's cache (durable-rules is built once), so a run takes about half a minute. --letters (default:
../shared/seeds beside the checkout) gives the IMR letter `mtus import` reads; without one that
check is skipped, and says so. tests/test_install.py runs the same checks; .ci/run runs this script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Source folder -> where the wheel holds it (pyproject.toml, [tool.setuptools.package-dir]).
DATA_FOLDERS = {"rules": "checker/rules", "templates": "checker/templates", "checker/cues": "checker/cues", "checker/schemas": "checker/schemas"}
NOTE = (
    "The patient is a 50 year old female injured on 04/10/2002. She has used Soma since at least 08/28/2013. "
    "There is no documentation of acute muscle spasm.\n"
)


class InstallCheckFailed(Exception):
    """A step of the installed copy failed: the message says which and shows its output."""


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment holding the wheel, and a work folder outside the checkout."""

    bin: Path
    work: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "MTUS_RULES_EXTRA", "PYTHONHOME")}
        return {**env, "PATH": f"{self.bin}{os.pathsep}{env.get('PATH', '')}", "MTUS_CACHE_DIR": str(self.work / "cache")}

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        done = subprocess.run([str(a) for a in args], cwd=self.work, env=self.env(), capture_output=True, text=True, timeout=600)
        if done.returncode not in ok:
            raise InstallCheckFailed(f"{' '.join(map(str, args))} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done


def source_files(repo: Path) -> list[Path]:
    """The checkout's files as git sees them (tracked, and new files not ignored), else every file
    outside the usual build and cache folders: what a clean clone would build from."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(repo), "ls-files", "--cached", "--others", "--exclude-standard", "-z"], capture_output=True, check=True,
        ).stdout.decode().split("\0")
        return [repo / name for name in listed if name and (repo / name).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "dist", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
        return [p for p in repo.rglob("*") if p.is_file() and not skip & set(p.relative_to(repo).parts) and ".egg-info" not in str(p)]


def build_wheel(repo: Path, work: Path) -> Path:
    """The wheel built, as `pip wheel --no-deps` builds it, from a copy holding only the source files
    (a build/ folder left in the checkout could otherwise add stale files)."""
    source = work / "source"
    for path in source_files(repo):
        target = source / path.relative_to(repo)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    out = work / "wheel"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    wheels = sorted(out.glob("*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise InstallCheckFailed(f"pip wheel exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wheels[0]


def expected_data_files(repo: Path) -> set[str]:
    """Every rule, template, cue and schema file of the checkout, named as the wheel must hold it."""
    found = set()
    for path in source_files(repo):
        relative = path.relative_to(repo).as_posix()
        for folder, packaged in DATA_FOLDERS.items():
            if relative.startswith(folder + "/") and path.suffix != ".py":
                found.add(packaged + relative[len(folder):])
    return found


def wheel_data_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    return {n for n in names if any(n.startswith(packaged + "/") for packaged in DATA_FOLDERS.values()) and not n.endswith(".py")}


def compare_data_files(repo: Path, wheel: Path) -> str:
    expected, packed = expected_data_files(repo), wheel_data_files(wheel)
    missing, extra = sorted(expected - packed), sorted(packed - expected)
    if missing or extra:
        raise InstallCheckFailed(f"the wheel {wheel.name} lacks {missing or 'nothing'} and holds files the checkout has not: {extra or 'none'}")
    return f"{wheel.name} holds all {len(expected)} rule, template, cue and schema files"


def install(wheel: Path, work: Path) -> Installed:
    """A new virtual environment (this interpreter's version) with the wheel and its dependencies."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=600)
    installed = Installed(venv / "bin", work / "user")
    installed.work.mkdir(parents=True)
    installed.run(installed.bin / "python", "-m", "pip", "install", "--quiet", wheel)
    return installed


def check_imports_the_installed_copy(installed: Installed, repo: Path) -> str:
    where = installed.run("python", "-c", "import checker.cli; print(checker.cli.__file__)").stdout.strip()
    if Path(where).resolve().is_relative_to(repo.resolve()):
        raise InstallCheckFailed(f"the fresh environment imports the checkout ({where}), not the wheel")
    return f"mtus-checker is imported from {where}"


_COMPILED_TEMPLATES = (
    "from checker.render.render import environment, packaged_templates_dir\n"
    "env = environment()\n"
    "packaged = env.loader.loaders[-1]\n"
    "names = sorted(p.relative_to(packaged_templates_dir()).as_posix() for p in packaged_templates_dir().rglob('*.j2'))\n"
    "stale = [n for n in names if not packaged.compiled_is_current(env, n)]\n"
    "print(len(names), stale, env.get_template('check.txt.j2').filename)\n"
)


def check_compiled_templates(installed: Installed) -> str:
    """The wheel's templates come compiled ahead (setup.py), current for the installed Jinja, and used."""
    count, stale, used = installed.run("python", "-c", _COMPILED_TEMPLATES).stdout.strip().split(" ", 2)
    if stale != "[]" or "/compiled/tmpl_" not in used:
        raise InstallCheckFailed(f"the installed templates are not compiled ahead: stale {stale}; check.txt.j2 read from {used}")
    return f"all {count} packaged templates compiled ahead, check.txt.j2 from {Path(used).name}"


_COMPILED_DATACLASSES = (
    "from checker.base import records\n"
    "import checker.api\n"
    "code, recipes = records.read_tables(records.TABLE)\n"
    "print(records.TABLE.name, len(code), len(records._known or {}), len(recipes))\n"
)


def check_compiled_dataclasses(installed: Installed) -> str:
    """The wheel holds the dataclasses' methods compiled ahead (setup.py), made by this Python, and the
    recipes of the classes a check imports; a check's classes need nothing else compiled."""
    name, ahead, used, recipes = installed.run("python", "-c", _COMPILED_DATACLASSES).stdout.split()
    if int(ahead) == 0 or int(used) != int(ahead) or int(recipes) == 0:
        raise InstallCheckFailed(f"the installed {name} holds {ahead} compiled methods and {recipes} class recipes; a check used {used}")
    return f"{ahead} dataclass methods and {recipes} class recipes compiled ahead in {name}, none compiled by a check"


_COMPILED_PATTERNS = (
    "import re, sys\n"
    "import checker.base.patterns as patterns\n"
    "compiled = []\n"
    "class Counting:\n"
    "    def __getattr__(self, name):\n"
    "        return getattr(re, name)\n"
    "    def compile(self, *args):\n"
    "        compiled.append(args)\n"
    "        return re.compile(*args)\n"
    "patterns.re = Counting()\n"
    "from checker.api import Checker\n"
    "Checker(registration='on_demand').check(sys.argv[1])\n"
    "print(patterns.TABLE.name, len(patterns._table()), len(compiled))\n"
)


def check_compiled_patterns(installed: Installed, repo: Path) -> str:
    """The wheel holds the package's regular expressions compiled ahead (setup.py), made by this Python,
    and checking a case compiles none of mtus-checker's patterns with re."""
    case = shutil.copy(repo / "examples" / "seed-000.yaml", installed.work / "patterns-case.yaml")
    name, ahead, compiled = installed.run("python", "-c", _COMPILED_PATTERNS, case).stdout.split()
    if int(ahead) == 0 or int(compiled) != 0:
        raise InstallCheckFailed(f"the installed {name} holds {ahead} compiled patterns; a check compiled {compiled} more")
    return f"{ahead} regular expressions compiled ahead in {name}, none compiled by a check"


def lint_verdict(installed: Installed, *args: str | Path) -> str:
    """The line that says whether the rules are clean; the report lint prints below it is not a verdict."""
    return installed.run("mtus", "rules", "lint", *args).stdout.splitlines()[0]


def check_lint(installed: Installed) -> str:
    return f"mtus rules lint: {lint_verdict(installed)}"


def check_draft(installed: Installed, repo: Path) -> str:
    shutil.copy(repo / "examples" / "seed-000.yaml", installed.work / "case.yaml")
    draft = installed.run("mtus", "draft", "case.yaml").stdout
    if "DRAFT DETERMINATION" not in draft:
        raise InstallCheckFailed(f"mtus draft case.yaml printed no draft:\n{draft[:500]}")
    return f"mtus draft case.yaml: {draft.splitlines()[1]}"


def check_extract(installed: Installed) -> str:
    (installed.work / "note.txt").write_text(NOTE, encoding="utf-8")
    drafted = installed.run("mtus", "extract", "note.txt", "--request", "Soma 350 mg BID #60", "--as-of", "2013-11-20").stdout
    (installed.work / "extracted.yaml").write_text(drafted, encoding="utf-8")
    installed.run("mtus", "draft", "extracted.yaml")
    return f"mtus extract note.txt wrote a case file of {len(drafted.splitlines())} lines, which mtus draft reads"


def check_import(installed: Installed, letters: Path) -> str:
    letter = next(iter(sorted(letters.glob("*.txt")) + sorted(letters.glob("*.pdf"))), None)
    if letter is None:
        raise InstallCheckFailed(f"no .txt or .pdf letter in {letters}")
    installed.run("mtus", "import", letter, "--out", "imported")
    written = sorted((installed.work / "imported").glob("*.yaml"))
    if len(written) != 1:
        raise InstallCheckFailed(f"mtus import {letter.name} wrote {len(written)} case files, not one")
    installed.run("mtus", "draft", written[0])
    return f"mtus import {letter.name} wrote {written[0].name}, which mtus draft reads"


def check_site_rules(installed: Installed, repo: Path) -> str:
    site = shutil.copytree(repo / "tests" / "site_rules", installed.work / "site_rules")
    return f"mtus rules lint --rules-extra site_rules: {lint_verdict(installed, '--rules-extra', site)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, default=None, help="folder for the wheel, the environment and the user's files (default: a temporary one)")
    parser.add_argument("--letters", type=Path, default=REPO.parent / "shared" / "seeds", help="folder with an IMR letter for mtus import")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mtus-install-") as temporary:
        work = args.work or Path(temporary)
        try:
            wheel = build_wheel(REPO, work)
            print(f"ok: {compare_data_files(REPO, wheel)}")
            installed = install(wheel, work)
            for check in (
                lambda: check_imports_the_installed_copy(installed, REPO), lambda: check_lint(installed), lambda: check_draft(installed, REPO),
                lambda: check_extract(installed), lambda: check_site_rules(installed, REPO), lambda: check_compiled_templates(installed),
                lambda: check_compiled_dataclasses(installed), lambda: check_compiled_patterns(installed, REPO),
            ):
                print(f"ok: {check()}")
            if args.letters.is_dir():
                print(f"ok: {check_import(installed, args.letters)}")
            else:
                print(f"skipped: mtus import (no letters at {args.letters}; pass --letters DIR)")
        except InstallCheckFailed as failed:
            print(f"FAILED: {failed}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
