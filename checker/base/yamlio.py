"""Safe YAML reading: size limit, UTF-8 only, no aliases, no duplicate keys, clear errors."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import yaml

from checker.base.errors import InputError
from checker.base.fields import short
from checker.base.patterns import compile_pattern
from checker.base.yamldepth import first_line_deeper_than

MAX_YAML_BYTES = 5 * 1024 * 1024
# No file of ours nests deeper than about 12 levels. libyaml's composer recursed in C once per level
# and overflowed the stack (a segfault) past 20,000 levels; libyaml 0.2.5 as PyYAML 6.0.4 ships it
# refuses 1,000 levels in words of its own. Our limit is checked first, without the parser.
MAX_YAML_DEPTH = 100
# What YAML's reader refuses written raw: control characters (tab, line feed and carriage return
# aside), surrogates and non-characters. Found before the parser, so the message is ours.
_RAW_FORBIDDEN = compile_pattern("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Control characters a YAML file may still hold as escapes ("\e", "\x1b", "\u009b") although the
# reader refuses them raw: in a terminal they rewrite the screen, in XML they are not allowed.
_CONTROL = compile_pattern(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Keys checked for duplicates: a rule file's dated blocks are keyed by date.
_PLAIN_KEYS = (str, int, float, bool, dt.date)

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NO_PATHS: dict = {}  # never written: its get takes (parent, index) and does nothing with them


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


class _UnknownTag(Exception):
    """A tag no safe constructor builds ('!!python/object/apply:os.system')."""

    def __init__(self, node: yaml.Node) -> None:
        super().__init__(node.tag)
        self.tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        self.line = node.start_mark.line + 1 if node.start_mark else 0


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate mapping keys instead of keeping the last one."""

    # libyaml's composer calls descend_resolver(parent, index) and ascend_resolver() around every
    # node (about 100 of each per case file), and PyYAML's own return at once when the loader has no
    # path resolvers, as a safe loader has none: two functions written in C that do nothing with their
    # arguments take their place, without a Python call each (the plain resolver's tags:
    # tests/test_speed.py). A loader given path resolvers keeps PyYAML's.
    descend_resolver = _NO_PATHS.get
    ascend_resolver = int

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        if self.yaml_path_resolvers:  # then descending and ascending follow the path: PyYAML's own
            self.descend_resolver = super().descend_resolver  # type: ignore[method-assign]
            self.ascend_resolver = super().ascend_resolver  # type: ignore[method-assign]

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a plain scalar, remembered by its text: libyaml's composer asks the resolver
        (pure Python, a regex per candidate tag) for every scalar of every file, and a corpus's files
        hold the same keys and values again and again. Without path resolvers (a safe loader has
        none) the answer depends on the text alone (the plain answer: tests/test_speed.py)."""
        if kind is _SCALAR_NODE and not self.yaml_path_resolvers:
            if not implicit[0]:  # quoted (or tagged '!'): the resolver tries no pattern on it
                return _STR_TAG
            tag = _PLAIN_SCALAR_TAGS.get(value)
            if tag is not None:
                return tag
            if len(value) <= _REMEMBERED_SCALAR_CHARS:
                if len(_PLAIN_SCALAR_TAGS) >= _MAX_REMEMBERED_SCALARS:
                    _PLAIN_SCALAR_TAGS.clear()
                tag = _PLAIN_SCALAR_TAGS[value] = super().resolve(kind, value, implicit)
                return tag
        return super().resolve(kind, value, implicit)

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
            key = _plain_text(key_node)
            if key is None:
                key = self.construct_object(key_node, deep=True)
            if isinstance(key, _PLAIN_KEYS) and key in seen:
                raise _DuplicateKey(str(key), key_node.start_mark.line + 1)
            seen.add(key) if isinstance(key, _PLAIN_KEYS) else None
        return super().construct_mapping(node, deep=deep)


_SCALAR_NODE = yaml.ScalarNode
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
# Scalars other than text that build_plain hands to the safe constructor's own function for the tag.
_SCALAR_TAGS = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "timestamp"))
# Plain scalars' tags remembered by their text (_StrictLoader.resolve): short ones only (keys, flags,
# dates, names), and at most this many, forgotten all at once when full.
_REMEMBERED_SCALAR_CHARS = 120
_MAX_REMEMBERED_SCALARS = 8192
_PLAIN_SCALAR_TAGS: dict[str, str] = {}
# Plain scalars other than text built once per text (build_plain), per tag: what their constructors
# build depends on the text alone and cannot be changed in place (None, a bool, an int, a float), and
# PyYAML's dumpers never write an alias for one object met twice of these types. A date is a new object
# each time, as the constructor makes it (a dumper would alias one date met twice), from its remembered
# year, month and day. At most _MAX_REMEMBERED_SCALARS per tag, forgotten all at once when full.
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BUILT_SCALARS: dict[str, dict[str, Any]] = {tag: {} for tag in _SCALAR_TAGS - {_TIMESTAMP_TAG}}
_DAYS: dict[str, tuple[int, int, int]] = {}


def _plain_text(node: yaml.Node) -> str | None:
    """A text key as the safe constructor builds it (the scalar's value, which cannot fail), without
    the constructor's calls: nearly every key of a file is one. None for any other node."""
    return node.value if node.tag == _STR_TAG and isinstance(node, yaml.ScalarNode) else None


def _refuse_unknown_tag(loader: _StrictLoader, node: yaml.Node) -> Any:
    raise _UnknownTag(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)
_StrictLoader.add_constructor(None, _refuse_unknown_tag)


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


def read_bounded(path: Path | str, what: str, max_bytes: int, directory_fix: str, size_fix: str) -> bytes:
    """A file's bytes, refusing a missing or unreadable path, a directory, anything but a regular file
    (a FIFO or a device such as /dev/zero is refused at once, never read or waited on), or a file
    over max_bytes (checked before reading, and the read stops there even if the file grows). A str
    path is used as it is (no Path made: the rules cache reads every rule file this way on each run)."""
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
            raise too_large(path, what, info.st_size, max_bytes, size_fix)
        data = read_at_most(handle, max_bytes + 1, info.st_size)
    except OSError as exc:
        raise InputError(str(path), "", f"cannot read {what} ({exc.strerror})", "check the path and its permissions") from None
    finally:
        os.close(handle)
    if len(data) > max_bytes:
        raise InputError(str(path), "", f"{what} grew past the {max_bytes}-byte limit while being read", size_fix)
    return data


def read_at_most(handle: int, limit: int, size: int = 1 << 20) -> bytes:
    """Up to `limit` bytes from an open file, however large the file says it is (or grows). `size`, the
    size fstat gave, sets the first read (one byte more, to find the end at once): a read allocates what
    it asks for, and a megabyte for each small rule file cost a check about 2 ms."""
    chunks: list[bytes] = []
    left = limit
    ask = size + 1
    while left > 0:
        chunk = os.read(handle, min(left, ask))
        ask = 1 << 20
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def too_large(path: Path | str, what: str, size: int, max_bytes: int, size_fix: str) -> InputError:
    return InputError(str(path), "", f"{what} is {size} bytes, over the {max_bytes}-byte limit", size_fix)


_YAML_SIZE_FIX = "split the file or remove embedded documents"


def require_yaml_size(text: str, path: Path | str, what: str) -> None:
    """A YAML text about to be written refused as read_text would refuse the file: over MAX_YAML_BYTES."""
    size = len(text.encode("utf-8"))
    if size > MAX_YAML_BYTES:
        raise too_large(path, what, size, MAX_YAML_BYTES, _YAML_SIZE_FIX)


def read_text(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """Read a UTF-8 text file, refusing missing, oversized, binary or non-UTF-8 files."""
    data = read_bounded(path, what, max_bytes, "name a .yaml file", _YAML_SIZE_FIX)
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
    return parse_yaml(read_text(path, what), path, what)


def parse_yaml(text: str, path: Path | str, what: str) -> Any:
    """One YAML document from text already read (an upload, a form field), as safely as load_yaml;
    `path` names the text in errors."""
    if not text.strip():
        raise InputError(str(path), "", f"{what} is empty", f"write the {what} (see README)")
    _refuse_before_parsing(text, path)
    try:
        _refuse_aliases(text, path)
        data = _single_document(text, path)
    except _DuplicateKey as dup:
        raise InputError(
            str(path), dup.key, f"key given twice (line {dup.line})", "keep one of the two entries"
        ) from None
    except _BadScalar as bad:
        fix = "write a real calendar date as YYYY-MM-DD" if bad.kind == "date" else f"correct the value or remove the !!{bad.kind} tag"
        reason = f" ({bad.reason})" if bad.reason else ""
        raise InputError(str(path), f"line {bad.line}", f"{bad.value} is not a valid {bad.kind}{reason}", fix) from None
    except _UnknownTag as unknown:
        fix = "remove the tag: only plain YAML values are read (text, numbers, dates, lists, mappings)"
        raise InputError(str(path), f"line {unknown.line}", f"the YAML tag {short(unknown.tag, 70)} is not accepted", fix) from None
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


def _refuse_before_parsing(text: str, path: Path) -> None:
    """The checks that need no parser, so their messages never depend on PyYAML: characters YAML
    does not allow written raw, and nesting deeper than MAX_YAML_DEPTH."""
    bad = _raw_forbidden(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        problem = f"holds the character U+{ord(bad.group()):04X}, which YAML does not allow"
        raise InputError(str(path), f"line {line}", problem, "remove control characters from the file")
    line = first_line_deeper_than(text, MAX_YAML_DEPTH)
    if line is not None:
        raise InputError(str(path), f"line {line}", f"YAML nested more than {MAX_YAML_DEPTH} levels deep", "flatten the document")


# The ASCII characters YAML allows written raw (_RAW_FORBIDDEN refuses the others), as bytes.
_RAW_ALLOWED_ASCII = bytes([9, 10, 13, *range(0x20, 0x7F)])


def _raw_forbidden(text: str) -> re.Match[str] | None:
    """_RAW_FORBIDDEN.search(text), without the regex's scan for an ASCII text that holds only allowed
    characters: its bytes less those leave nothing (the same answer: tests/test_speed.py)."""
    if text.isascii() and not text.encode("ascii").translate(None, _RAW_ALLOWED_ASCII):
        return None
    return _RAW_FORBIDDEN.search(text)


def _refuse_aliases(text: str, path: Path) -> None:
    """Anchors and aliases are refused: they are not needed and enable 'billion laughs' files. Found
    in the parser's events (which build nothing), skipped when the text holds no '*'."""
    if "*" not in text:
        return
    for event in yaml.parse(text, Loader=_BaseLoader):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(
                str(path), f"line {_line(event)}", "YAML aliases (*name) are not accepted",
                "write the value out in full instead of using an anchor and alias",
            )


def _single_document(text: str, path: Path | str, plain: bool = False) -> Any:
    """The one document of the text; a second one is refused (which of them would be meant?).
    Read line by line by read_block_text when it can, else built from libyaml's nodes by build_plain
    when it can, else (or with `plain`) by PyYAML's constructors."""
    if not plain:
        data = read_block_text(text)
        if data is not _NOT_BUILT:
            return data
    loader = _StrictLoader(text)
    try:
        data = _document(loader, loader.get_node(), plain) if loader.check_node() else None
        if loader.check_data():
            raise InputError(str(path), "", "holds more than one YAML document", "keep one document: remove the '---' line and what follows")
        return data
    finally:
        loader.dispose()


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0


_NOT_BUILT = object()


class _NotPlain(Exception):
    """A node build_plain leaves to PyYAML's constructors."""


def _document(loader: _StrictLoader, node: yaml.Node, plain: bool) -> Any:
    """The document's data: what loader.construct_document(node) builds, built directly when the
    document holds only text keys, lists, mappings and the safe constructor's plain scalars (a case
    file always), so PyYAML's generic construction (its generators, its table of constructed nodes,
    a duplicate check and a flattening pass per mapping) is not paid for every node. Anything else,
    or any failure, is built by PyYAML's constructors from the start, so their errors are the ones
    raised, in their order (the same data: tests/test_speed.py)."""
    if not plain:
        try:
            return build_plain(node, loader)
        except Exception:  # noqa: S110 - built again below, where any real error is raised
            pass
    return loader.construct_document(node)


def _timestamp(text: str, loader: _StrictLoader, node: yaml.ScalarNode | None = None) -> Any:
    """What the constructor builds of a timestamp: a date made afresh from its remembered parts (no node is
    made for a date remembered: read_block_text reads a case file's dates without nodes)."""
    day = _DAYS.get(text)
    if day is not None:
        return dt.date(*day)
    value = loader.yaml_constructors[_TIMESTAMP_TAG](loader, node or yaml.ScalarNode(_TIMESTAMP_TAG, text))
    if type(value) is dt.date:
        if len(_DAYS) >= _MAX_REMEMBERED_SCALARS:
            _DAYS.clear()
        _DAYS[text] = (value.year, value.month, value.day)
    return value


def _scalar_value(tag: str, text: str, loader: _StrictLoader, node: yaml.ScalarNode | None = None) -> Any:
    """A plain scalar's value from its tag: text as it is, a null, truth value or number built once per text
    (at most _MAX_REMEMBERED_SCALARS a tag), a date made afresh; _NOT_BUILT for any other tag. The node is
    made only when a constructor needs one and none is given (build_plain and read_block_text share this)."""
    if tag == _STR_TAG:
        return text
    built = _BUILT_SCALARS.get(tag)
    if built is not None:
        value = built.get(text, _NOT_BUILT)
        if value is _NOT_BUILT:
            if len(built) >= _MAX_REMEMBERED_SCALARS:
                built.clear()
            value = built[text] = loader.yaml_constructors[tag](loader, node or yaml.ScalarNode(tag, text))
        return value
    if tag == _TIMESTAMP_TAG:
        return _timestamp(text, loader, node)
    return _NOT_BUILT


def build_plain(node: yaml.Node, loader: _StrictLoader) -> Any:
    """The value of a node of text-keyed mappings, lists and plain scalars; _NotPlain for any other
    node, a duplicate key or a key that is not text."""
    kind, tag = node.__class__, node.tag
    if kind is yaml.ScalarNode:
        value = _scalar_value(tag, node.value, loader, node)
        if value is not _NOT_BUILT:
            return value
    elif kind is yaml.SequenceNode and tag == _SEQ_TAG:
        return [build_plain(item, loader) for item in node.value]
    elif kind is yaml.MappingNode and tag == _MAP_TAG:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is not yaml.ScalarNode or key_node.tag != _STR_TAG or key_node.value in mapping:
                raise _NotPlain
            mapping[key_node.value] = build_plain(value_node, loader)
        return mapping
    raise _NotPlain


# A case file as mtus writes it (and as its importer and the benchmark write it) is a small subset of
# YAML: block mappings of word keys, block lists, plain scalars on one line, quoted text without escapes,
# and empty flow lists or mappings. read_block_text reads a text made of those alone, line by line,
# without libyaml's nodes and the resolver's Python call per scalar; for anything else it answers
# _NOT_BUILT and the text is read by libyaml and build_plain (or PyYAML's constructors) as before. A
# scalar's tag is the one _StrictLoader.resolve gives, and its value is built as build_plain builds it,
# so what it reads is what they build (tests/test_speed.py).
# A text with any of these is left to libyaml: tabs, line breaks other than LF, a byte-order mark.
_NOT_BLOCK_TEXT = compile_pattern("[\t\r\x85\u2028\u2029\ufeff]")
# Every line of a text, as its indent, a "- " (with the spaces after it), a word key followed by ":" and
# a space or the line's end (its tag still checked to be text), and the rest without trailing spaces.
_BLOCK_LINES = compile_pattern(r"^( *)(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_.-]{0,99}):(?: +|$))?(.*)", re.M)
# The same for a text with a space at a line's end (found faster by the pattern above when there is none).
_BLOCK_LINES_SPACED = compile_pattern(r"^( *)(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_.-]{0,99}):(?: +|$))?(.*?) *$", re.M)
# What _inline_value reads a short written value as, when it is text, None, a truth value or a number
# (built once per text, as build_plain builds them; a date is made afresh each time, a list or mapping
# is not kept): at most _MAX_REMEMBERED_SCALARS, forgotten all at once when full.
_INLINE_VALUES: dict[str, Any] = {}
_KEPT_VALUE_TYPES = (str, type(None), bool, int, float)
# The first characters of a plain scalar that YAML reads as an indicator (or may: "-x", "?x", ":x").
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_SCALAR_LOADER: list[_StrictLoader] = []
_Row = tuple[int, str, str, str]
_END_ROW: _Row = (-1, "", "", "")  # after the last row: less indented than any, it ends every block
# Keys found to be text (_text_key): at most _MAX_REMEMBERED_SCALARS, forgotten all at once when full.
_TEXT_KEYS: set[str] = set()


class _NotBlockText(Exception):
    """A text read_block_text leaves to libyaml."""


def _scalar_loader() -> _StrictLoader:
    if not _SCALAR_LOADER:
        _SCALAR_LOADER.append(_StrictLoader(""))
    return _SCALAR_LOADER[0]


def _plain_tag(text: str) -> str:
    """A plain scalar's tag as _StrictLoader.resolve answers it: text at once when no implicit resolver is
    listed under its first character (nor for every character) and there is no path resolver, where the
    resolver tries no pattern on it (a case file's titles and ids: each text is new, and remembering them
    only pushed the recurring ones out of _PLAIN_SCALAR_TAGS); else as remembered, or the resolver's."""
    implicit = _StrictLoader.yaml_implicit_resolvers
    if text and text[0] not in implicit and None not in implicit and not _StrictLoader.yaml_path_resolvers:
        return _STR_TAG
    return _PLAIN_SCALAR_TAGS.get(text) or _scalar_loader().resolve(_SCALAR_NODE, text, (True, False))


def _plain_value(text: str) -> Any:
    """A plain scalar's value: its tag as _StrictLoader.resolve answers, built as build_plain builds it."""
    tag = _plain_tag(text)
    if tag == _STR_TAG:
        return text
    value = _scalar_value(tag, text, _scalar_loader())
    if value is _NOT_BUILT:
        raise _NotBlockText
    return value


def _inline_value(rest: str) -> Any:
    """The value written after "key: " or "- " (trailing spaces removed, never empty)."""
    value = _INLINE_VALUES.get(rest, _NOT_BUILT)
    if value is not _NOT_BUILT:
        return value
    value = _written_value(rest)
    if type(value) in _KEPT_VALUE_TYPES and len(rest) <= _REMEMBERED_SCALAR_CHARS:
        if len(_INLINE_VALUES) >= _MAX_REMEMBERED_SCALARS:
            _INLINE_VALUES.clear()
        _INLINE_VALUES[rest] = value
    return value


def _written_value(rest: str) -> Any:
    first = rest[0]
    if first == '"':
        inner = rest[1:-1]
        if len(rest) >= 2 and rest[-1] == '"' and '"' not in inner and "\\" not in inner:
            return inner
        raise _NotBlockText
    if first == "'":
        inner = rest[1:-1]
        if len(rest) >= 2 and rest[-1] == "'" and "'" not in inner.replace("''", ""):
            return inner.replace("''", "'")
        raise _NotBlockText
    if rest == "[]":
        return []
    if rest == "{}":
        return {}
    if first in _INDICATORS or not first.isascii() or "#" in rest or ": " in rest or rest[-1] == ":":
        raise _NotBlockText
    return _plain_value(rest)


def read_block_text(text: str) -> Any:
    """The document of a text written in the subset above, or _NOT_BUILT (see the note above)."""
    if ("\t" in text or "\r" in text) if text.isascii() else _NOT_BLOCK_TEXT.search(text):
        return _NOT_BUILT
    lines = _BLOCK_LINES_SPACED if " \n" in text or text[-1:] == " " else _BLOCK_LINES
    rows = [(len(indent), dash, key, rest) for indent, dash, key, rest in lines.findall(text) if rest or key or dash]
    if not rows or rows[0][0]:
        return _NOT_BUILT
    rows.append(_END_ROW)
    try:
        data, at = _block_mapping(rows, 0, 0)
    except Exception:  # noqa: BLE001 - outside the subset (_NotBlockText) or a constructor's refusal, which libyaml's reading raises in its words
        return _NOT_BUILT
    return data if at == len(rows) - 1 else _NOT_BUILT


def _block_mapping(rows: list[_Row], at: int, indent: int) -> tuple[dict, int]:
    """The mapping whose keys stand at `indent` from rows[at] on; the row after it. A row more indented
    than the keys where none may be (after a value on the key's line) is refused at the loop's start."""
    mapping: dict[str, Any] = {}
    while True:
        row_indent, dash, key, rest = rows[at]
        if row_indent != indent or dash or not key:
            if row_indent < indent:  # the end row's -1 included
                return mapping, at
            raise _NotBlockText
        if key in mapping or (key not in _TEXT_KEYS and not _text_key(key)):
            raise _NotBlockText
        at += 1
        if rest:
            value = _INLINE_VALUES.get(rest, _NOT_BUILT)
            mapping[key] = _inline_value(rest) if value is _NOT_BUILT else value
            continue
        next_indent, next_dash = rows[at][:2]
        if next_indent > indent:
            mapping[key], at = (_block_sequence if next_dash else _block_mapping)(rows, at, next_indent)
        elif next_indent == indent and next_dash:  # a list at its key's indent
            mapping[key], at = _block_sequence(rows, at, indent)
        else:
            mapping[key] = _plain_value("")


def _text_key(key: str) -> bool:
    """Whether a plain key is text (not "yes", "null", "12" ...), remembered when it is."""
    if _plain_tag(key) != _STR_TAG:
        return False
    if len(_TEXT_KEYS) >= _MAX_REMEMBERED_SCALARS:
        _TEXT_KEYS.clear()
    _TEXT_KEYS.add(key)
    return True


def _block_sequence(rows: list[_Row], at: int, indent: int) -> tuple[list, int]:
    """The list whose "- " stand at `indent` from rows[at] on; the row after it."""
    items: list[Any] = []
    while True:
        row_indent, dash, key, rest = rows[at]
        if row_indent != indent or not dash:
            if row_indent <= indent:  # the parent reads it (a key after a list at its keys' indent; the end row)
                return items, at
            raise _NotBlockText
        if key:  # "- key: ...": a mapping whose keys stand where this one does
            column = indent + len(dash)
            rows[at] = (column, "", key, rest)
            item, at = _block_mapping(rows, at, column)
        elif rest:
            item = _inline_value(rest)
            at += 1
        else:
            raise _NotBlockText
        items.append(item)
