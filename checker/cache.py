"""A cache of the loaded, linted and compiled rule set (and of compiled templates), so a single
`mtus check` does not parse and lint every rule file on every run.

The key is a SHA-256 over the relative path and bytes of every file under the rules directory and
the site rule folders (--rules-extra), the bytes of this package's own code, the folders' paths (as
given and resolved) and the Python version: any change to a rule file, a new file, or a new version
of mtus-checker makes a new entry. A cached rule set is exactly
the one a fresh load would build (tests/test_speed.py compares the outputs byte for byte).

Where: $MTUS_CACHE_DIR, else $XDG_CACHE_HOME/mtus-checker, else ~/.cache/mtus-checker.
MTUS_CACHE_DIR=off turns caching off. A cache that cannot be read or written is skipped silently:
it only ever saves time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path
from typing import Any

CACHE_ENV = "MTUS_CACHE_DIR"
KEEP_ENTRIES = 16
_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache directory, or None when caching is off."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "no") else Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mtus-checker"


def rules_key(directory: Path, extra_dirs: tuple[Path, ...] = ()) -> str:
    sha = hashlib.sha256()
    sha.update(f"{sys.version_info[:2]}\0".encode())
    for path in sorted(_PACKAGE.rglob("*.py")):  # every module, also of subpackages (checker/lint/checks/)
        sha.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for folder in (directory, *extra_dirs):
        sha.update(f"{folder}\0{folder.resolve()}\0".encode())
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            sha.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return sha.hexdigest()


def load_compiled_rules(directory: Path, extra_dirs: tuple[Path, ...] = ()) -> tuple[Any, Any]:
    """(RuleSet, Program) for a rules directory and site rule folders: from the cache, else loaded,
    linted, compiled and stored. A rule set with lint defects raises InputError and is never stored."""
    root = cache_dir()
    readable = all(folder.is_dir() for folder in (directory, *extra_dirs))
    entry = root / "rules" / f"{rules_key(directory, extra_dirs)}.pickle" if root is not None and readable else None
    if entry is not None:
        cached = _read(entry)
        if cached is not None:
            return cached
    ruleset, program = _build(directory, extra_dirs)
    if entry is not None:
        _write(entry, (ruleset, program))
    return ruleset, program


def _build(directory: Path, extra_dirs: tuple[Path, ...]) -> tuple[Any, Any]:
    from checker.compiler import compile_program
    from checker.lint import require_clean
    from checker.rules import load_ruleset

    ruleset = load_ruleset(directory, extra_dirs)
    require_clean(ruleset)
    return ruleset, compile_program(ruleset)


def _read(entry: Path) -> Any:
    try:
        with entry.open("rb") as handle:
            return pickle.load(handle)  # noqa: S301 - our own file, in the user's cache, named by content hash
    except Exception:  # missing, truncated, or written by an incompatible version: rebuild
        return None


def _write(entry: Path, value: Any) -> None:
    import tempfile

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, prefix=".tmp-", delete=False) as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, entry)  # atomic: parallel runs never read half a file
        _prune(entry.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[KEEP_ENTRIES:]:
        stale.unlink(missing_ok=True)


def template_cache_dir() -> Path | None:
    """Where Jinja keeps compiled templates (its own checksum of each template's source is the key)."""
    root = cache_dir()
    if root is None:
        return None
    folder = root / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder
