"""File facts for cache keys: what identifies a file's content without reading it all."""

from __future__ import annotations

import os
from pathlib import Path

from lupex.errors import DataNotFoundError

__all__ = ["file_fingerprint"]


def file_fingerprint(path: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(absolute path, size [bytes], modification time [ns]) of a file; a missing file raises DataNotFoundError."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as err:
        raise DataNotFoundError(f"cannot read {str(p)!r}: {err.strerror or err}") from err
    return str(p.resolve()), int(st.st_size), int(st.st_mtime_ns)
