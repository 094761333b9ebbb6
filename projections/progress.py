"""A live progress line on a terminal; silence elsewhere (the caller prints a summary)."""

import sys
import time


class ProgressBar:
    def __init__(self, stream, label: str, *, width: int = 30, interval: float = 0.2):
        self.stream, self.label, self.width, self.interval = stream, label, width, interval
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.perf_counter()
        self.last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last_draw < self.interval and done < total:
            return
        self.last_draw = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0.0
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)
        left = (total - done) / rate if rate else 0.0
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{done:,}/{total:,} events  {rate:,.0f} ev/s  {left:,.0f}s left "
        )
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


def stdout_stream(command) -> object:
    """The real stream behind a management command's stdout (for isatty)."""
    return getattr(command.stdout, "_out", sys.stdout)
