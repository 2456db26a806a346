"""A cache of the loaded, linted and compiled rule set and of compiled templates, so a single
`mtus check` does not parse and lint every rule file and compile its templates on every run
(benchmarks/startup.py measures what it saves).

A cache entry is Python objects (pickle, and Jinja's marshalled code), so reading one can run code:
an entry is only ever read from a folder that only this user can write, and only when its HMAC,
made with a random key kept in that folder (readable by this user alone), proves this user wrote it.

- The folder: $MTUS_CACHE_DIR, else $XDG_CACHE_HOME/mtus-checker, else ~/.cache/mtus-checker; a
  relative path is not used (MTUS_CACHE_DIR=off, or relative: no cache; a relative XDG_CACHE_HOME
  is ignored, as the XDG specification says). It is created 0700 and used only when it is a
  directory, not a symbolic link, owned by this user and writable by no one else (one of ours
  that others could only read is tightened to 0700). Everything in it is opened relative to that
  checked folder, never by following a link.
- A rule-set entry's name is a SHA-256 over every file under the rules directory (symbolic links
  followed), read once: the rule set is built from those very bytes. It also covers the directory's
  path (as given and resolved), the Python version, mtus-checker's code (each module's size and
  modification time) and the installed distributions (names and versions): any change makes a new entry.
- Template entries: Jinja checks each template's source against its entry; the entry's name also
  covers the same versions.

Any fault (a missing, damaged, forged or foreign entry, a folder others can write, a full disk)
means the rule set or template is built as if there were no cache, silently: the cache only ever
saves time, and a cached rule set is exactly the one a fresh load would build (tests/test_speed.py
compares outputs byte for byte).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CACHE_ENV = "MTUS_CACHE_DIR"
KEEP_ENTRIES = {"rules-": 16, "template-": 64}
MAX_ENTRY_BYTES = 64 * 1024 * 1024
# A rules directory larger than this is not cached (it is still loaded): --rules pointing at a home folder.
MAX_SNAPSHOT_FILES = 5_000
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
_MAGIC = b"mtus-cache/2\n"
_KEY_FILE = "key"
_KEY_BYTES = 32
_STALE_TEMP_SECONDS = 3600
_OPEN_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC
_PACKAGE = Path(__file__).resolve().parents[1]  # checker/, every module of the package


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off or no absolute place is configured."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        if configured.strip().lower() in ("", "off", "0", "no"):
            return None
        chosen = Path(configured).expanduser()
        return chosen if chosen.is_absolute() else None
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path(os.path.expanduser("~")) / ".cache"
    return base / "mtus-checker" if base.is_absolute() else None


# ---- the folder and its key -----------------------------------------------------------------------

class _Store:
    """The cache folder, opened and checked once, with this user's key."""

    def __init__(self, folder: int, key: bytes) -> None:
        self.folder = folder
        self.key = key

    def read(self, name: str) -> memoryview | None:
        """The entry's payload (a view of the bytes read, not a copy: a rules entry is over a megabyte),
        or None when it is missing or not provably written by this user."""
        try:
            data = _read_private(self.folder, name, MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        head = len(_MAGIC) + hashlib.sha256().digest_size
        if len(data) > MAX_ENTRY_BYTES or not data.startswith(_MAGIC):
            return None
        payload = memoryview(data)[head:]
        return payload if hmac.compare_digest(data[len(_MAGIC): head], self._mac(name, payload)) else None

    def write(self, name: str, payload: bytes) -> None:
        """Store an entry atomically (a temporary file renamed): parallel runs never read half a file."""
        try:
            _write_new(self.folder, name, _MAGIC + self._mac(name, payload) + payload)
            self._prune(name)
        except OSError:
            return

    def _mac(self, name: str, payload: bytes | memoryview) -> bytes:
        """HMAC-SHA256 of the name, a NUL and the payload (fed in two parts: no joined copy of the payload)."""
        mac = hmac.new(self.key, name.encode() + b"\0", hashlib.sha256)
        mac.update(payload)
        return mac.digest()

    def _prune(self, written: str) -> None:
        kind = next((k for k in KEEP_ENTRIES if written.startswith(k)), None)
        now = time.time()
        entries = []
        for name in os.listdir(self.folder):
            info = os.stat(name, dir_fd=self.folder, follow_symlinks=False)
            if kind and name.startswith(kind):
                entries.append((info.st_mtime, name))
            elif name.startswith(".tmp-") and now - info.st_mtime > _STALE_TEMP_SECONDS:  # a run killed while writing
                os.unlink(name, dir_fd=self.folder)
        for _, stale in sorted(entries, reverse=True)[KEEP_ENTRIES.get(kind or "", 0):]:
            os.unlink(stale, dir_fd=self.folder)


@contextmanager
def _opened_store() -> Iterator[_Store | None]:
    """The cache folder, or None when there is none we may trust (any fault: no cache)."""
    folder = _open_private_folder()
    if folder is None:
        yield None
        return
    try:
        key = _user_key(folder)
    except OSError:
        key = None
    try:
        yield _Store(folder, key) if key is not None else None
    finally:
        os.close(folder)


def _open_private_folder() -> int | None:
    root = cache_dir()
    if root is None:
        return None
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(root, 0o700)
        except FileExistsError:
            pass
        folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(folder)
        if _owned_private(info, stat.S_ISDIR):
            return folder
        if _owned(info, stat.S_ISDIR) and not info.st_mode & 0o022:  # ours, others could only read it: tighten
            os.fchmod(folder, 0o700)
            return folder
    except OSError:
        pass
    os.close(folder)
    return None


def _owned(info: os.stat_result, kind: Any) -> bool:
    return kind(info.st_mode) and info.st_uid == os.geteuid()


def _owned_private(info: os.stat_result, kind: Any) -> bool:
    return _owned(info, kind) and not info.st_mode & 0o077


def _user_key(folder: int) -> bytes | None:
    """This user's key, made on first use. A key that is damaged or that others could read is
    replaced, which invalidates every entry."""
    for _ in range(2):
        key = _read_key(folder)
        if key:
            return key
        if key is not None:
            os.unlink(_KEY_FILE, dir_fd=folder)
        try:
            return _new_key(folder)
        except FileExistsError:  # another run made one a moment ago: read that one
            continue
    return None


def _read_key(folder: int) -> bytes | None:
    """The key; b"" when it is not one; None when there is none."""
    try:
        key = _read_private(folder, _KEY_FILE, _KEY_BYTES + 1)
    except FileNotFoundError:
        return None
    return key if len(key) == _KEY_BYTES else b""


def _read_private(folder: int, name: str, limit: int) -> bytes:
    """A file of the folder, never through a link; b"" unless it is a regular file of this user's only.
    Read in one call of the size fstat gives (a rules entry in megabyte reads, joined, cost a check about 2 ms)."""
    from checker.base.yamlio import read_at_most

    handle = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _OPEN_FLAGS, dir_fd=folder)
    try:
        info = os.fstat(handle)
        return read_at_most(handle, limit, info.st_size) if _owned_private(info, stat.S_ISREG) else b""
    finally:
        os.close(handle)


def _new_key(folder: int) -> bytes:
    import secrets  # here and below, not at the top: a check that finds its entries writes nothing

    key = secrets.token_bytes(_KEY_BYTES)
    _write_new(folder, _KEY_FILE, key, replace=False)
    return key


def _write_new(folder: int, name: str, data: bytes, replace: bool = True) -> None:
    """Write a file of the folder whole or not at all: a temporary file (0600) renamed or linked into place."""
    import secrets

    temp = f".tmp-{secrets.token_hex(8)}"
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, 0o600, dir_fd=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if replace:
            os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
        else:
            os.link(temp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
    finally:
        try:
            os.unlink(temp, dir_fd=folder)
        except FileNotFoundError:
            pass


# ---- what an entry's name covers ------------------------------------------------------------------

@functools.cache
def environment_fingerprint() -> bytes:
    """The Python version, mtus-checker's code and every installed distribution (name and version).
    A module counts by its size and modification time, as Python's own bytecode cache judges a
    module changed (reading every module on each run cost a single check several milliseconds)."""
    sha = hashlib.sha256(f"{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    for relative, path in sorted(_package_modules()):
        info = os.stat(path)
        sha.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\0".encode())
    for name in sorted(_distributions()):
        sha.update(name.encode() + b"\0")
    return sha.digest()


def _package_modules() -> Iterator[tuple[str, str]]:
    """(path relative to checker/, with '/'; path) of every module, also of subpackages (checker/lint/checks/):
    os.walk, as pathlib's rglob cost a check a few milliseconds, and the relative path cut from the joined
    one (every folder os.walk yields starts with the folder it was given), as os.path.relpath cost two more.
    Python's bytecode folders (__pycache__) hold no module and are not listed: about half the walk."""
    top = str(_PACKAGE)
    for folder, folders, names in os.walk(top):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                yield path[len(top) + 1:].replace(os.sep, "/"), path


def _distributions() -> set[str]:
    """'PyYAML-6.0.2.dist-info' and the like, on every folder of sys.path (cheaper than importlib.metadata)."""
    found: set[str] = set()
    for folder in sys.path:
        try:
            found.update(n for n in os.listdir(folder or ".") if n.endswith((".dist-info", ".egg-info")))
        except OSError:
            continue
    return found


def snapshot(folders: tuple[Path, ...]) -> dict[str, bytes] | None:
    """Every regular file under the folders (symbolic links followed, each folder once), read once:
    absolute path as the loader names it -> bytes. None when they are too large to cache."""
    return _each_file(folders, bytes)


def snapshot_digests(folders: tuple[Path, ...]) -> dict[str, bytes] | None:
    """What snapshot(folders) reads, each file's bytes kept only as their SHA-256 (all the entry's name
    needs): a check that finds its entry holds no copy of the 1.3 MB of rule files, whose fresh pages
    cost about as much as reading them."""
    return _each_file(folders, _sha256)


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _each_file(folders: tuple[Path, ...], keep: Callable[[bytes], bytes]) -> dict[str, bytes] | None:
    files: dict[str, bytes] = {}
    seen: set[tuple[int, int]] = set()
    pending = [os.path.abspath(folder) for folder in reversed(folders)]
    total = 0
    while pending:
        folder = pending.pop()
        info = os.stat(folder)
        if (info.st_dev, info.st_ino) in seen:
            continue
        seen.add((info.st_dev, info.st_ino))
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_dir():
                pending.append(entry.path)
            elif entry.is_file():
                data = _read_regular(entry.path)
                files[entry.path] = keep(data)
                total += len(data)
                if len(files) > MAX_SNAPSHOT_FILES or total > MAX_SNAPSHOT_BYTES:
                    return None
    return files


class NotSnapshotted(OSError):
    """A file under the rules that the snapshot does not take: not a regular file, or too large."""


def _read_regular(path: str) -> bytes:
    """The file's bytes, as checker.base.yamlio.read_bounded reads a rule file (symbolic links followed, a
    FIFO never waited on, at most MAX_SNAPSHOT_BYTES, however much the file grows), without its error
    texts: the snapshot only needs to know that a file cannot be cached (read_bounded's checks and
    messages were about half of reading the 153 rule files on each check)."""
    from checker.base.yamlio import read_at_most

    handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SNAPSHOT_BYTES:
            raise NotSnapshotted(path)
        data = read_at_most(handle, MAX_SNAPSHOT_BYTES + 1, info.st_size)
    finally:
        os.close(handle)
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise NotSnapshotted(path)
    return data


def plain_read_regular(path: str) -> bytes:
    """What _read_regular reads, by read_bounded (tests/test_speed.py)."""
    from checker.base.yamlio import read_bounded

    return read_bounded(path, "rule file", MAX_SNAPSHOT_BYTES, "", "")


def rules_entry_name(folders: tuple[Path, ...], files: dict[str, bytes]) -> str:
    return entry_name_of_digests(folders, {path: _sha256(data) for path, data in files.items()})


def entry_name_of_digests(folders: tuple[Path, ...], digests: dict[str, bytes]) -> str:
    """rules_entry_name from each file's SHA-256 (snapshot_digests): the same name."""
    sha = hashlib.sha256(environment_fingerprint())
    for folder in folders:
        sha.update(f"{folder}\0{folder.resolve()}\0".encode())
    for path in sorted(digests):
        sha.update(path.encode() + b"\0" + digests[path])
    return f"rules-{sha.hexdigest()}"


# ---- the rule set ---------------------------------------------------------------------------------

def load_compiled_rules(directory: Path, extra_dirs: tuple[Path, ...] = ()) -> tuple[Any, Any]:
    """(RuleSet, Program) for a rules directory (and site rule folders): from the cache, else loaded,
    linted, compiled and stored. A rule set with lint defects raises InputError and is never stored."""
    from checker.load.ruleset import cues_dir

    # the extraction cues are read too: lint refuses a fact marked extracted that has none
    folders = (Path(directory), *map(Path, extra_dirs), cues_dir())
    with _opened_store() as store:
        digests = _snapshot_or_none(folders, snapshot_digests) if store is not None else None
        if store is None or digests is None:
            return _build(directory, extra_dirs)
        cached = _unpickled(store.read(entry_name_of_digests(folders, digests)))
        if cached is not None:
            return cached
        # not cached: read again, keeping the bytes, and build from those very bytes under their own name
        files = _snapshot_or_none(folders)
        if files is None:
            return _build(directory, extra_dirs)
        name = rules_entry_name(folders, files)
        built, pure = _build_from(directory, extra_dirs, files)
        if pure and _snapshot_or_none(folders) == files:  # nothing changed while building
            store.write(name, pickle.dumps(built, protocol=pickle.HIGHEST_PROTOCOL))
        return built


def _snapshot_or_none(folders: tuple[Path, ...], read: Callable[[tuple[Path, ...]], dict[str, bytes] | None] = snapshot) -> dict[str, bytes] | None:
    from checker.base.errors import InputError

    try:
        return read(folders) if all(folder.is_dir() for folder in folders) else None
    except (OSError, InputError):  # a file that cannot be read, or is not a regular file: no cache for it
        return None


def _unpickled(payload: bytes | None) -> Any:
    if payload is None:
        return None
    try:
        return pickle.loads(payload)  # noqa: S301 - authenticated: written by this user, for these files and versions
    except Exception:  # noqa: BLE001 - any fault: build instead
        return None


def _build_from(directory: Path, extra_dirs: tuple[Path, ...], files: dict[str, bytes]) -> tuple[tuple[Any, Any], bool]:
    """The rule set built from the snapshot's bytes; False when the build read a file the snapshot lacks."""
    from checker.base.yamlio import served_from

    with served_from(files) as served:
        built = _build(directory, extra_dirs)
    return built, not served.missed


def _build(directory: Path, extra_dirs: tuple[Path, ...] = ()) -> tuple[Any, Any]:
    from checker.lint import require_clean
    from checker.load.compiler import compile_program
    from checker.load.ruleset import load_ruleset

    ruleset = load_ruleset(directory, extra_dirs)
    require_clean(ruleset)
    return ruleset, compile_program(ruleset)


# ---- compiled templates ---------------------------------------------------------------------------

def template_bytecode_cache() -> Any:
    """A Jinja bytecode cache kept in the cache folder under the same rules, or None when caching is off."""
    return _template_cache_class()() if cache_dir() is not None else None


@functools.cache
def _template_cache_class() -> type:
    import jinja2

    class AuthenticatedBytecodeCache(jinja2.BytecodeCache):
        """Jinja keys a template by its name and file and checks its source itself; the entry's name
        adds the versions, the HMAC proves this user wrote it."""

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with _opened_store() as store:
                payload = store.read(_template_entry_name(bucket.key)) if store is not None else None
            if payload is not None:
                try:
                    bucket.bytecode_from_string(bytes(payload))
                except Exception:  # noqa: BLE001 - any fault: compile instead
                    bucket.reset()

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            with _opened_store() as store:
                if store is not None:
                    store.write(_template_entry_name(bucket.key), bucket.bytecode_to_string())

    return AuthenticatedBytecodeCache


def _template_entry_name(key: str) -> str:
    return "template-" + hashlib.sha256(environment_fingerprint() + key.encode()).hexdigest()
