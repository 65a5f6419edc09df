"""One-line usage errors for the benchmark scripts: the flag, what is accepted, exit status 2."""

from __future__ import annotations

import sys
from typing import NoReturn


def usage_error(script: str, message: str) -> NoReturn:
    """Print ``script: message`` on stderr (one line) and exit with status 2."""
    print(f"{script}: {message}", file=sys.stderr)
    raise SystemExit(2)
