"""On-disk cache of horizon maps, keyed by content hash and parameters.

Each entry is one file ``<key>.lhz``: a 512-byte header (magic, JSON metadata with shapes, dtypes and the
CRC-32 of the payload) followed by the raw payload arrays. Entries are written atomically (temporary file +
rename), so a crash never leaves a half-written entry under the final name; an entry whose header, size or
checksum does not match is reported as corrupt, deleted and recomputed by the caller. The temporary file of a
writer that was killed (a full 240 m entry is several GB) is removed the first time a later process uses the
folder (:func:`lupex.io.atomic.clean_stale_temp_files`, files untouched for an hour).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lupex.errors import CacheError
from lupex.io.atomic import atomic_write_path, clean_stale_temp_files_once

log = logging.getLogger(__name__)

_MAGIC = b"LUPEXHZ1"
_HEADER_BYTES = 512
_CHUNK = 1 << 26


def default_cache_dir() -> Path:
    """``$LUPEX_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/lupex`` or ``~/.cache/lupex``."""
    env = os.environ.get("LUPEX_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "lupex"


def content_key(*parts: object) -> str:
    """SHA-256 hex digest of arrays (their bytes, dtype and shape) and plain values (their repr)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            array = np.ascontiguousarray(part)
            digest.update(f"{array.dtype.str}{array.shape}".encode())
            digest.update(_bytes_view(array))
        else:
            digest.update(repr(part).encode())
        digest.update(b"|")
    return digest.hexdigest()


def _bytes_view(array: NDArray[np.generic]) -> memoryview:
    """Zero-copy byte view of an array (C order)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data


def _crc(arrays: list[NDArray[np.generic]]) -> int:
    crc = 0
    for array in arrays:
        view = _bytes_view(array)
        for start in range(0, len(view), _CHUNK):
            crc = zlib.crc32(view[start : start + _CHUNK], crc)
    return crc


def write_cache_entry(folder: str | os.PathLike[str], key: str, arrays: dict[str, NDArray[np.generic]]) -> Path:
    """Store named arrays under ``key`` atomically; returns the entry's path."""
    clean_stale_temp_files_once(folder)
    target = Path(folder) / f"{key}.lhz"
    items = [(name, np.ascontiguousarray(array)) for name, array in arrays.items()]
    meta = {
        "key": key,
        "arrays": [[name, array.dtype.str, list(array.shape)] for name, array in items],
        "crc32": _crc([array for _, array in items]),
    }
    header = _MAGIC + json.dumps(meta).encode()
    if len(header) > _HEADER_BYTES:
        raise CacheError(f"cache header for {key} is too long")
    try:
        with atomic_write_path(target) as tmp, open(tmp, "wb") as handle:
            handle.write(header.ljust(_HEADER_BYTES, b" "))
            for _, array in items:
                handle.write(_bytes_view(array))
    except OSError as err:
        raise CacheError(
            f"cannot write cache entry {str(target)!r}: {err}; set LUPEX_CACHE_DIR or cache=False"
        ) from err
    return target


def read_cache_entry(folder: str | os.PathLike[str], key: str) -> dict[str, NDArray[np.generic]] | None:
    """Load the arrays stored under ``key``; None if absent. A corrupt entry is logged, deleted, and None."""
    clean_stale_temp_files_once(folder)
    path = Path(folder) / f"{key}.lhz"
    if not path.exists():
        return None
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
            if not header.startswith(_MAGIC):
                raise ValueError("bad magic")
            meta = json.loads(header[len(_MAGIC) :].decode().strip())
            if meta.get("key") != key:
                raise ValueError("key mismatch")
            arrays: dict[str, NDArray[np.generic]] = {}
            for name, dtype_str, shape in meta["arrays"]:
                dtype = np.dtype(dtype_str)
                count = int(np.prod(shape)) if shape else 1
                data = np.fromfile(handle, dtype=dtype, count=count)
                if data.size != count:
                    raise ValueError(f"truncated array {name}")
                arrays[name] = data.reshape(shape)
            if handle.read(1):
                raise ValueError("trailing bytes")
        if _crc(list(arrays.values())) != meta["crc32"]:
            raise ValueError("checksum mismatch")
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as err:
        log.warning("horizon cache entry %s is corrupt (%s); recomputing", path, err)
        try:
            path.unlink()
        except OSError:
            pass
        return None
    return arrays
