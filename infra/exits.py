"""The exit codes every `strata` command shares, and the error that means "fix your input".

CI scripts branch on these codes, so they are the same for every subcommand: a policy
violation (1) must never be confused with a config mistake (2) or a bug in strata (3).
`infra/cli.py` turns exceptions into codes in one place; a command raises `InputError` for
anything the user can fix and lets every other exception through.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ExitCode", "InputError"]


class ExitCode(IntEnum):
    PASSED = 0
    """Nothing blocks: no mandatory violation, no unacknowledged stateful replacement."""
    BLOCKED = 1
    """A mandatory policy violation, a blocker, or an unacknowledged stateful replacement."""
    BAD_INPUT = 2
    """Bad arguments, config, manifest or policy pack: the message says what to fix."""
    INTERNAL = 3
    """A bug in strata or in the program it ran: one line, `--debug` shows the traceback."""


class InputError(Exception):
    """Input the user can fix (a file, an argument, a manifest): exit 2, message only.

    The message names the file and, where there is one, the key path or JSON path.
    """
