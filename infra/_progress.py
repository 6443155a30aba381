"""Progress lines on stderr while a long synth registers resources.

A 200-service synth takes tens of seconds (the SDK's own cost per resource); without a sign of
life a person assumes it hung. One line every few seconds, on stderr so stdout stays the
report; silent when stderr is not a terminal (CI logs, pipes) unless asked for.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Call it with the running count of registered resources; `done()` prints the total."""

    def __init__(self, label: str, *, enabled: bool | None = None, stream: TextIO | None = None,
                 interval_seconds: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.interval = interval_seconds
        self.clock = clock
        self.started = clock()
        self._last = self.started
        self.count = 0

    def __call__(self, count: int) -> None:
        self.count = count
        now = self.clock()
        if self.enabled and now - self._last >= self.interval:
            self._last = now
            self._write(f"{count} resources registered ({now - self.started:.0f} s)")

    def done(self) -> None:
        if self.enabled:
            self._write(f"{self.count} resources registered in "
                        f"{self.clock() - self.started:.1f} s")

    def _write(self, text: str) -> None:
        print(f"{self.label}: {text}", file=self.stream, flush=True)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
