"""Safe YAML reading: size limit, UTF-8 only, no aliases, no duplicate keys, clear errors."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml

from checker.errors import InputError
from checker.fields import short

MAX_YAML_BYTES = 5 * 1024 * 1024
# No file of ours nests deeper than about 12 levels. libyaml's composer recurses in C once per level
# and overflows the stack (a segfault, not an exception) somewhere past 20,000 levels.
MAX_YAML_DEPTH = 100
# Every YAML collection opens with one of these characters ('[', '{', '- ', 'key:', '? key'), so a
# file holding fewer of them than this cannot nest deeply enough to matter, and is not scanned.
_COLLECTION_MARKS = "[{-:?"
_SCAN_ABOVE_MARKS = 1000
# Control characters a YAML file may still hold as escapes ("\e", "\x1b", "\u009b") although the
# reader refuses them raw: in a terminal they rewrite the screen, in XML they are not allowed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_TAG = "could not determine a constructor for the tag"

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key = key
        self.line = line


class _BadScalar(Exception):
    def __init__(self, node: yaml.Node, reason: str) -> None:
        super().__init__(reason)
        self.value = short(node.value if isinstance(node, yaml.ScalarNode) else node.id)
        kind = str(node.tag).rsplit(":", 1)[-1]
        self.kind = "date" if kind == "timestamp" else kind
        self.reason = " ".join(reason.split())
        self.line = node.start_mark.line + 1 if node.start_mark else 0


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate mapping keys instead of keeping the last one."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # '2013-02-30' or '!!int abc' make PyYAML's constructors raise plain Python errors.
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise _BadScalar(node, str(exc)) from None
        except (TypeError, KeyError, AttributeError):
            raise _BadScalar(node, "") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key) if isinstance(key, (str, int, float, bool)) else None
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)


class Served:
    """Files a build reads from memory (see served_from), and the files it read that were not there."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.missed: list[str] = []


_serving: ContextVar[Served | None] = ContextVar("mtus_served_files", default=None)


@contextmanager
def served_from(files: dict[str, bytes]) -> Iterator[Served]:
    """While in this block (in this thread), read_bounded returns these bytes for these files
    (absolute paths): the rules cache builds a rule set from the very bytes its entry's name was
    hashed from."""
    served = Served(files)
    token = _serving.set(served)
    try:
        yield served
    finally:
        _serving.reset(token)


def read_bounded(path: Path, what: str, max_bytes: int, directory_fix: str, size_fix: str) -> bytes:
    """A file's bytes, refusing a missing or unreadable path, a directory, anything but a regular file
    (a FIFO or a device such as /dev/zero is refused at once, never read or waited on), or a file
    over max_bytes (checked before reading, and the read stops there even if the file grows)."""
    path = Path(path)
    serving = _serving.get()
    if serving is not None:
        served = serving.files.get(os.path.abspath(path))
        if served is None:
            serving.missed.append(str(path))
        elif len(served) <= max_bytes:
            return served
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # O_NONBLOCK: opening a FIFO never waits
    except FileNotFoundError:
        raise InputError(str(path), "", f"{what} not found", "check the path") from None
    except IsADirectoryError:
        raise InputError(str(path), "", f"is a directory, not a {what}", directory_fix) from None
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read {what} ({exc.strerror})", "check the path and its permissions") from None
    try:
        info = os.fstat(handle)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(str(path), "", f"is a directory, not a {what}", directory_fix)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(str(path), "", f"is {_file_kind(info.st_mode)}, not a regular file", f"give the {what} as a regular file")
        if info.st_size > max_bytes:
            raise InputError(str(path), "", f"{what} is {info.st_size} bytes, over the {max_bytes}-byte limit", size_fix)
        data = read_at_most(handle, max_bytes + 1)
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read {what} ({exc.strerror})", "check the path and its permissions") from None
    finally:
        os.close(handle)
    if len(data) > max_bytes:
        raise InputError(str(path), "", f"{what} grew past the {max_bytes}-byte limit while being read", size_fix)
    return data


def read_at_most(handle: int, limit: int) -> bytes:
    """Up to `limit` bytes from an open file, however large the file says it is (or grows)."""
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(handle, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def read_text(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file, refusing missing, oversized, binary or non-UTF-8 files."""
    data = read_bounded(path, what, max_bytes, "name a .yaml file", "split the file or remove embedded documents")
    if b"\x00" in data:
        raise InputError(str(path), "", f"{what} holds binary data", "give a YAML text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            str(path), "", f"{what} is not UTF-8 (byte {exc.start})", "save the file as UTF-8"
        ) from None


def load_yaml(path: Path, what: str) -> Any:
    """Load one YAML document safely; every failure is an InputError naming the file."""
    text = read_text(path, what)
    if not text.strip():
        raise InputError(str(path), "", f"{what} is empty", f"write the {what} (see README)")
    try:
        _refuse_aliases_and_deep_nesting(text, path)
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _DuplicateKey as dup:
        raise InputError(
            str(path), dup.key, f"key given twice (line {dup.line})", "keep one of the two entries"
        ) from None
    except _BadScalar as bad:
        fix = "write a real calendar date as YYYY-MM-DD" if bad.kind == "date" else f"correct the value or remove the !!{bad.kind} tag"
        reason = f" ({bad.reason})" if bad.reason else ""
        raise InputError(str(path), f"line {bad.line}", f"{bad.value} is not a valid {bad.kind}{reason}", fix) from None
    except yaml.reader.ReaderError as exc:
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or "?")
        raise InputError(
            str(path), "", f"character #x{char:04x} at position {exc.position} is not allowed in YAML",
            "remove control characters from the file",
        ) from None
    except yaml.constructor.ConstructorError as exc:
        if _UNSAFE_TAG not in str(exc.problem):
            raise _malformed(exc, path) from None
        tag = str(exc.problem).split("tag", 1)[1].strip(" '").replace("tag:yaml.org,2002:", "!!")
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        fix = "remove the tag: only plain YAML values are read (text, numbers, dates, lists, mappings)"
        raise InputError(str(path), f"line {line}", f"the YAML tag {short(tag, 70)} is not accepted", fix) from None
    except yaml.MarkedYAMLError as exc:
        raise _malformed(exc, path) from None
    except yaml.YAMLError as exc:
        raise InputError(str(path), "", f"malformed YAML: {' '.join(str(exc).split())}", "fix the YAML syntax") from None
    except RecursionError:
        raise InputError(str(path), "", "YAML nested too deeply", "flatten the document") from None
    if "\\" in text or "\x85" in text:  # the reader refuses control characters written raw: only escapes remain
        _refuse_control_characters(data, path)
    return data


def _malformed(exc: yaml.MarkedYAMLError, path: Path) -> InputError:
    mark = exc.problem_mark or exc.context_mark
    line = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
    problem = " ".join((exc.problem or exc.context or "syntax error").split())
    return InputError(str(path), "", f"malformed YAML at {line}: {problem}", "fix the YAML syntax there")


def _refuse_control_characters(data: Any, path: Path) -> None:
    """Every key and text value, walked without recursion; the first control character is the error."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            found = _CONTROL.search(value)
            if found:
                raise InputError(
                    str(path), where or "", f"text holds the control character U+{ord(found.group()):04X}",
                    "remove it (control characters are not accepted, also not as escapes such as \\e or \\x1b)",
                )
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                name = str(key)
                if _CONTROL.search(name):
                    stack.append((where, name))
                stack.append((f"{where}.{_printable(name)}" if where else _printable(name), item))
        elif isinstance(value, list):
            stack.extend((f"{where}[{i}]", item) for i, item in reversed(list(enumerate(value))))


def _printable(name: str) -> str:
    return name if name.isprintable() else repr(name)


def _refuse_aliases_and_deep_nesting(text: str, path: Path) -> None:
    """Anchors and aliases are refused: they are not needed and enable 'billion laughs' files. So is
    nesting deeper than MAX_YAML_DEPTH, which would crash libyaml. Both are found in one pass over
    the parser's events, which is skipped when the text can hold neither."""
    if "*" not in text and sum(text.count(mark) for mark in _COLLECTION_MARKS) <= _SCAN_ABOVE_MARKS:
        return
    depth = 0
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise InputError(
                    str(path), f"line {_line(event)}", f"YAML nested more than {MAX_YAML_DEPTH} levels deep", "flatten the document"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            raise InputError(
                str(path), f"line {_line(event)}", "YAML aliases (*name) are not accepted",
                "write the value out in full instead of using an anchor and alias",
            )


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0
