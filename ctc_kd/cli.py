"""Command-line plumbing of every ctc_kd tool: the project's log format and clean exits on bad input."""
from __future__ import annotations

import logging
import re
from typing import Callable, Optional, Sequence

LOG_FORMAT = "%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"


def setup_logging(level: int = logging.INFO) -> None:
    """Configure the root logger once with the project's format (no-op if the caller configured it)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format=LOG_FORMAT)


def run(body: Callable[[], Optional[int]], errors=(ValueError, OSError)) -> int:
    """Run a tool's body; input errors become one logged message and exit status 1 instead of a traceback."""
    setup_logging()
    try:
        return body() or 0
    except errors as e:  # the message already names the file and the fix
        logging.error("%s", e, stacklevel=2)  # reported as the calling tool's line
        return 1


def command_line(program: str, argv: Sequence[str]) -> str:
    """How a tool was called, each argument quoted as a shell needs it, so that the line pastes back into one."""
    return program + " " + " ".join(
        a if a and re.fullmatch(r"[\w./:=@%+,-]+", a) else "'" + a.replace("'", "'\\''") + "'" for a in argv)
