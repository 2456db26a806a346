"""A progress line for long runs: on a terminal only, after a moment, rewritten in place."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

SHOW_AFTER_SECONDS = 1.0
REFRESH_SECONDS = 0.2


class ProgressLine:
    """Call with (done, total, items). Silent unless `stream` is a terminal and the run has lasted
    SHOW_AFTER_SECONDS; `finish()` clears the line so only the report remains."""

    def __init__(self, stream: TextIO, render_line: Callable[[dict], str], clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.render_line = render_line
        self.clock = clock
        self.enabled = _is_terminal(stream)
        self.started = clock()
        self._last_shown: float | None = None
        self._width = 0

    def __call__(self, done: int, total: int, items: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        elapsed = now - self.started
        if elapsed < SHOW_AFTER_SECONDS or (self._last_shown is not None and now - self._last_shown < REFRESH_SECONDS and done < total):
            return
        line = self.render_line({"done": done, "total": total, "items": items, "rate": items / elapsed if elapsed else 0.0}).rstrip("\n")
        self.stream.write("\r" + line.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(line))
        self._last_shown = now

    def finish(self) -> None:
        if self._last_shown is not None:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
