"""Start and stop a Pulumi plugin process as the engine does: the plugin prints its gRPC port as
the first line on stdout, writes its diagnostics to stderr, and is terminated when the engine is
done with it. Shared by `strata check` (a policy pack) and the provider tests (a component
provider)."""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from contextlib import suppress
from typing import IO, Any

__all__ = ["drain", "read_port", "stop"]


def drain(stream: IO[bytes] | None, sink: list[str]) -> None:
    """Collect the plugin's stderr lines (run in a thread: a full pipe would block the plugin)."""
    if stream is None:
        return
    for line in iter(stream.readline, b""):
        sink.append(line.decode(errors="replace").rstrip())


def read_port(process: subprocess.Popen[bytes], timeout: float, stderr: list[str],
              error: type[Exception], what: str) -> int:
    """The port on the plugin's first stdout line; `error` naming `what` and carrying the tail
    of its stderr when it printed anything else, nothing in time, or died."""
    lines: queue.Queue[bytes] = queue.Queue()
    out = process.stdout
    if out is None:
        raise error(f"{what}: no stdout to read the port from")
    threading.Thread(target=lambda: lines.put(out.readline()), daemon=True).start()
    try:
        text = lines.get(timeout=timeout).decode(errors="replace").strip()
    except queue.Empty:
        raise error(f"{what} printed no port within {timeout:g} s") from None
    if not text.isdigit():
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        time.sleep(0.1)  # let the stderr reader catch up
        tail = "\n".join(stderr[-20:]) or "(no output)"
        raise error(f"{what} did not start: printed {text!r} instead of a port "
                    f"(exit code {process.poll()}):\n{tail}")
    return int(text)


def stop(process: subprocess.Popen[bytes], channel: Any, server: Any) -> None:
    """Close the client channel, terminate the plugin (kill it after 5 s), stop the engine's
    server."""
    if channel is not None:
        channel.close()
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    server.stop(0)
