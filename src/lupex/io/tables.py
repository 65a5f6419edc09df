"""Atomic writers for tables, JSON, text and bytes (PNG); text, TOML and stage-cache readers."""

from __future__ import annotations

import csv
import json
import logging
import os
import pickle
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lupex.errors import DataNotFoundError, InputError
from lupex.io.atomic import atomic_write_path

log = logging.getLogger(__name__)


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


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text (e.g. HTML, TOML), atomically."""
    target = Path(path)
    with atomic_write_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a UTF-8 text file; a missing or unreadable file raises :class:`DataNotFoundError`."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataNotFoundError(f"cannot read {str(path)!r}: {getattr(err, 'strerror', None) or err}") from err


def read_toml_text(text: str, origin: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error raises :class:`InputError` with the line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{origin}: not valid TOML: {err}") from None


def write_pickle(obj: Any, path: str | os.PathLike[str]) -> Path:
    """Pickle an object to a file atomically (stage cache of trusted, locally made results)."""
    target = Path(path)
    with atomic_write_path(target) as tmp, open(tmp, "wb") as handle:
        pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return target


def read_pickle(path: str | os.PathLike[str]) -> Any | None:
    """Load a pickled stage result; None when missing or unusable (the caller recomputes).

    A missing file is the ordinary cache miss and returns None silently. A file that cannot be unpickled
    (truncated, corrupt, or made by code whose classes have since moved) is logged at WARNING, deleted, and
    None is returned; one that exists but cannot be opened (permissions) is logged and kept.
    """
    target = Path(path)
    try:
        with open(target, "rb") as handle:
            return pickle.load(handle)  # a local cache written by write_pickle
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        log.warning("stage cache entry %s cannot be read (%s); recomputing", target, err.strerror or err)
        return None
    except Exception as err:  # unpickling garbage can raise almost anything (EOFError, KeyError, ...)
        log.warning("stage cache entry %s is truncated or corrupt (%r); recomputing", target, err)
    try:
        target.unlink()
    except OSError:  # gone already (another process) or not removable: the next write replaces it
        pass
    return None


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """Read a file's bytes; a missing or unreadable file raises :class:`DataNotFoundError`."""
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise DataNotFoundError(f"cannot read {str(path)!r}: {err.strerror or err}") from err


def is_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing regular file."""
    return Path(path).is_file()


def is_dir(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is an existing directory."""
    return Path(path).is_dir()


def read_package_data_text(name: str) -> str:
    """Text of a file bundled in ``lupex/data`` (a missing file raises :class:`DataNotFoundError`)."""
    from importlib import resources

    try:
        return resources.files("lupex").joinpath("data", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataNotFoundError(f"bundled data file {name!r} is missing or unreadable; reinstall lupex") from err
