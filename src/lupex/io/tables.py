"""Atomic writers for tables, JSON and opaque bytes (PNG)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lupex.io.atomic import atomic_write_path


def write_csv(records: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write dict records as CSV (header from the first record's keys), atomically."""
    target = Path(path)
    with atomic_write_path(target) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0].keys()) if records else [])
        writer.writeheader()
        writer.writerows(records)
    return target


def write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """Write JSON (indented, no NaN), atomically."""
    target = Path(path)
    with atomic_write_path(target) as tmp, open(tmp, "w") as handle:
        json.dump(data, handle, indent=2, allow_nan=False)
        handle.write("\n")
    return target


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write bytes (e.g. a PNG), atomically."""
    target = Path(path)
    with atomic_write_path(target) as tmp:
        tmp.write_bytes(data)
    return target
