"""How deeply a YAML text can nest, read without a YAML parser.

checker.base.yamlio checks nesting before PyYAML sees a file, so what a user reads never depends on a
parser's limits or wording (PyYAML 6.0.4's libyaml refuses 1,000 levels with a message of its own,
and older ones crashed far deeper). The text is read line by line for an upper bound of its depth:
block collections by the stack of their indentation columns (and compact entries such as '- - x' or
'- key: x' on one line), flow collections by their brackets, skipping quoted text, comments and
block scalars (| and >). The bound errs high, never low: a more indented line always counts as a
level, and so may a bracket in odd places; no file of ours comes near the limit.
"""

from __future__ import annotations

from dataclasses import field

from checker.base.patterns import LazyPattern, compile_pattern
from checker.base.records import dataclass

# Only _LINE_START is compiled at import: a text with few nesting marks, or whose quick bound is low
# (every example case file), never reaches the scan, so the scan's patterns compile on first use.
_LINE_BREAK = LazyPattern(r"\r\n|[\r\n\x85\u2028\u2029]")
_LINE_START = compile_pattern(r"[\r\n\x85\u2028\u2029][ ]*(?:[-?:][ \t]+)*")  # a line's indentation and leading entries
_ENTRY = LazyPattern(r"[-?:](?:[ \t]+|$)")  # '- item', '? key', ': value'
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'"
_PLAIN_KEY = r"[^\s#'\"\[\]{},|>&*!%@`](?:[^:\s]|:(?=\S)|[ \t]+(?=[^#\s]))*"
_KEY = LazyPattern(rf"(?:{_QUOTED}|{_PLAIN_KEY})[ \t]*:(?=[ \t]|$)[ \t]*")
_PROPERTIES = LazyPattern(r"(?:[&!]\S*[ \t]+)*")  # an anchor or tag before a value
_DOCUMENT_MARK = LazyPattern(r"(?:---|\.\.\.)(?=[ \t]|$)[ \t]*")
_FLOW_MARK = LazyPattern(r"[\"'\[\]{}#]")
_QUOTE_END = {"'": LazyPattern(r"(?:[^']|'')*'"), '"': LazyPattern(r'(?:[^"\\]|\\.)*"')}


def first_line_deeper_than(text: str, limit: int) -> int | None:
    """The number of the first line at which the text may nest more than `limit` levels, or None."""
    if level_marks(text) <= limit:
        return None  # every level opens with one of these marks
    if _quick_bound(text) <= limit:
        return None
    scan = _Scan()
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        if scan.deepest_on(line) > limit:
            return number
    return None


_LEVEL_MARKS = "[{-:?"
_LEVEL_MARK_BYTES = _LEVEL_MARKS.encode("ascii")


def level_marks(text: str) -> int:
    """How many of the characters that open a level ([ { - : ?) the text holds: for an ASCII text, its
    bytes less those counted in one pass (bytes.translate) rather than five passes of str.count, one a
    mark (the same count: plain_level_marks, tests/test_speed.py)."""
    if text.isascii():
        data = text.encode("ascii")
        return len(data) - len(data.translate(None, _LEVEL_MARK_BYTES))
    return plain_level_marks(text)


def plain_level_marks(text: str) -> int:
    """level_marks by str.count."""
    return sum(text.count(mark) for mark in _LEVEL_MARKS)


def _quick_bound(text: str) -> int:
    """A coarser bound without the scan: every bracket, plus on the line whose indentation and leading
    entries ('- - ', '? ') run longest, the block collections around it (a mapping and a sequence at
    most per column up to there) and those it opens (its entries and one 'key:')."""
    brackets = text.count("[") + text.count("{")
    return brackets + 2 * max(map(len, _LINE_START.findall("\n" + text))) + 3


@dataclass
class _Level:
    """An open block collection: the column it starts at, and whether a '- ' opened it."""

    column: int
    sequence: bool  # opened by '- '


@dataclass
class _Scan:
    """What the scan has open at the end of a line: block levels, flow brackets, a quoted or block scalar."""

    levels: list[_Level] = field(default_factory=list)  # the open block collections
    flow: int = 0  # open flow collections ([ and {)
    quote: str = ""  # the quote of a quoted scalar running on to the next line
    block_scalar_above: int | None = None  # lines indented more than this belong to a | or > scalar

    def deepest_on(self, line: str) -> int:
        if self.block_scalar_above is not None:
            if _blank(line) or _indent(line) > self.block_scalar_above:
                return len(self.levels)
            self.block_scalar_above = None
        if self.quote:
            position = self._skip_quoted(line, 0)
            if self.quote:
                return len(self.levels) + self.flow
        elif self.flow:
            position = 0
        else:
            position = self._block_value(line)
            if position >= len(line) or line[position] not in "[{'\"":
                return len(self.levels)  # a plain scalar, a block scalar or nothing
        return self._flow_depth(line, position)

    def _block_value(self, line: str) -> int:
        """Open the block levels the line's indentation and entries start; where its value begins."""
        if _blank(line) or line.lstrip(" ").startswith("#") or line.startswith("%"):
            return len(line)
        document = _DOCUMENT_MARK.match(line)
        if document:
            self.levels.clear()
            return _PROPERTIES.match(line, document.end()).end()
        position = _indent(line)
        item = _ENTRY.match(line, position) is not None and line[position] == "-"
        self._close_levels(position, item)
        self._open(position, item)  # a line indented more than the level above is a level of its own
        while entry := _ENTRY.match(line, position):
            self._open(position, line[position] == "-")
            position = entry.end()
        key = _KEY.match(line, position)
        if key:
            self._open(position, False)
            position = key.end()
        position = _PROPERTIES.match(line, position).end()
        if position < len(line) and line[position] in "|>":
            self.block_scalar_above = self.levels[-1].column if self.levels else -1
            return len(line)
        return position

    def _close_levels(self, column: int, sequence_entry: bool) -> None:
        while self.levels and self.levels[-1].column > column:
            self.levels.pop()
        # 'key:' then '- item' at the key's column: the sequence is inside the mapping; a 'key:' after it closes it
        if self.levels and self.levels[-1].column == column and self.levels[-1].sequence and not sequence_entry:
            self.levels.pop()

    def _open(self, column: int, sequence: bool) -> None:
        top = self.levels[-1] if self.levels else None
        if top is None or top.column < column or (top.column == column and top.sequence != sequence):
            self.levels.append(_Level(column, sequence))

    def _flow_depth(self, line: str, position: int) -> int:
        deepest = len(self.levels) + self.flow
        skip_to = position
        for mark in _FLOW_MARK.finditer(line, position):
            at, char = mark.start(), mark.group()
            if at < skip_to:
                continue
            if char == "#":
                if at == 0 or line[at - 1] in " \t":
                    break  # a comment
            elif char in "'\"":
                if _starts_node(line, position, at):
                    self.quote = char
                    skip_to = self._skip_quoted(line, at + 1)
                    if self.quote:
                        break
            elif char in "[{":
                self.flow += 1
                deepest = max(deepest, len(self.levels) + self.flow)
            elif self.flow:
                self.flow -= 1
        return deepest

    def _skip_quoted(self, line: str, start: int) -> int:
        """Where the open quoted scalar ends on this line (the quote closed), or the line's end."""
        end = _QUOTE_END[self.quote].match(line, start)
        if end is None:
            return len(line)
        self.quote = ""
        return end.end()


def _blank(line: str) -> bool:
    return not line.strip(" \t")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _starts_node(line: str, value_start: int, at: int) -> bool:
    """A quote opens a quoted scalar only where a node starts, not inside a plain one ([it's])."""
    before = line[:at].rstrip(" \t")
    return at == value_start or not before or before[-1] in "[{,:?"
