"""Atomic file output: write to a temporary file in the target folder, then rename over the target.

Temporary files are named ``.lupex-tmp.<host>-<pid>.<name>.<8 random characters>.tmp`` (``<host>`` 4 hex
digits of the host name's hash, ``<pid>`` the writing process, ``<name>`` the target's file name shortened to
80 characters). A process killed while writing (``kill -9``, power loss) cannot remove its temporary file;
:func:`clean_stale_temp_files` removes such leftovers (at once when their writer, on this host, is no longer
running; otherwise once they are old), and only files of exactly this form.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from lupex.errors import CacheError, InputError

__all__ = [
    "STALE_TEMP_AGE_S",
    "TEMP_PREFIX",
    "atomic_write_dir",
    "atomic_write_path",
    "clean_stale_temp_files",
    "clean_stale_temp_files_once",
    "is_lupex_temp_name",
]

log = logging.getLogger(__name__)

#: Leading part of the name of every temporary file :func:`atomic_write_path` creates.
TEMP_PREFIX = ".lupex-tmp."
#: Default age [s] beyond which :func:`clean_stale_temp_files` takes a temporary file for abandoned.
STALE_TEMP_AGE_S = 3600.0
_NAME_CHARS = 80
# tempfile.mkstemp inserts 8 characters of this alphabet between prefix and suffix
_TEMP_NAME = re.compile(r"\.lupex-tmp\.(?:(?P<host>[0-9a-f]{4})-(?P<pid>\d{1,10})\.)?(?P<name>.+)\.[a-z0-9_]{8}\.tmp")
# earlier versions named them ".<name>.<8>.tmp"; of those only the names of content-keyed cache entries
# (horizon ".lhz", stage ".pkl": 64 hex digits in the name) are recognised, which no user file looks like
# the temporary FOLDERS of atomic_write_dir end in ".tmpdir" (a folder named like a temporary file is a user's)
_TEMP_DIR_NAME = re.compile(r"\.lupex-tmp\.(?P<host>[0-9a-f]{4})-(?P<pid>\d{1,10})\.(?P<name>.+)\.[a-z0-9_]{8}\.tmpdir")
_LEGACY_CACHE_TEMP_NAME = re.compile(r"\.[A-Za-z0-9_-]*[0-9a-f]{64}\.(?:lhz|pkl)\.[a-z0-9_]{8}\.tmp")
_cleaned_folders: set[str] = set()
_cleaned_lock = threading.Lock()


def _host_tag() -> str:
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:4]


def _writer_gone(name: str) -> bool:
    """Whether the temp file's writing process (named in the file name) has ended, as far as this host can tell."""
    match = _TEMP_NAME.fullmatch(name) or _TEMP_DIR_NAME.fullmatch(name)
    if match is None or match.group("pid") is None or match.group("host") != _host_tag():
        return False
    pid = int(match.group("pid"))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists but belongs to someone else
        return False
    return False


def is_lupex_temp_name(name: str) -> bool:
    """Whether a file name is that of a temporary file made by :func:`atomic_write_path`."""
    return bool(_TEMP_NAME.fullmatch(name) or _LEGACY_CACHE_TEMP_NAME.fullmatch(name))


@contextlib.contextmanager
def atomic_write_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it onto ``path``.

    A failure (exception) removes the temporary file and leaves any existing ``path`` untouched,
    so an interrupted run never leaves a truncated output behind. A killed process leaves its temporary file
    (``.lupex-tmp.<name>.<random>.tmp``), which :func:`clean_stale_temp_files` removes later.

    Parameters
    ----------
    path : path-like
        Final destination. Its parent folder is created if missing.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{_host_tag()}-{os.getpid()}.{target.name[:_NAME_CHARS]}.",
            suffix=".tmp",
            dir=target.parent,
        )
    except OSError as err:
        raise CacheError(
            f"cannot write into folder {str(target.parent)!r}: {err.strerror}; choose a writable location"
        ) from err
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp creates the file 0600; give the output the usual permissions (0666 less the umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_write_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary FOLDER next to ``path``; on success put it in place of ``path`` (a folder, e.g. a Zarr store).

    Like :func:`atomic_write_path`: a failure removes the temporary folder and leaves an existing ``path`` untouched;
    a killed process leaves a ``.lupex-tmp.<host>-<pid>.<name>.<8>.tmpdir`` folder that
    :func:`clean_stale_temp_files` removes later (``.tmpdir``: a folder named like a temporary *file* is left
    alone, it may be a user's). An existing ``path`` is moved aside and removed only after the new
    folder is in place (two renames: a reader sees the old or the new folder, or for an instant none).

    Raises
    ------
    InputError
        ``path`` exists and is not a folder.
    """
    import shutil

    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{str(target)!r} is a file, not a folder; choose another output path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix = f"{TEMP_PREFIX}{_host_tag()}-{os.getpid()}.{target.name[:_NAME_CHARS]}."
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmpdir", dir=target.parent))
    except OSError as err:
        raise CacheError(
            f"cannot write into folder {str(target.parent)!r}: {err.strerror}; choose a writable location"
        ) from err
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmpdir", dir=target.parent))
            os.replace(target, old / target.name)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _remove_entry(entry: os.DirEntry[str]) -> int:
    """Remove a temporary file or folder; returns the bytes it held."""
    import shutil

    if entry.is_dir(follow_symlinks=False):
        size = sum(f.stat().st_size for f in Path(entry.path).rglob("*") if f.is_file())
        shutil.rmtree(entry.path)
        return size
    size = entry.stat(follow_symlinks=False).st_size
    os.unlink(entry.path)
    return size


def clean_stale_temp_files(folder: str | os.PathLike[str], *, older_than_s: float = STALE_TEMP_AGE_S) -> list[Path]:
    """Remove the temporary files an interrupted lupex process left in ``folder``.

    Only regular files (and the folders of :func:`atomic_write_dir`) directly in ``folder`` whose name is exactly
    of the form ``atomic_write_path`` gives
    (``.lupex-tmp.<name>.<8 characters>.tmp``, and the older ``.<key>.lhz|pkl.<8>.tmp`` of cache entries)
    are removed; any other file is left alone. A file whose writer (a process of this host named in the file
    name) has ended is removed at once; otherwise a file modified less than ``older_than_s`` ago may belong to a
    writer still at work and is kept. Removals are logged at WARNING with their total size.
    Files that vanish meanwhile (a concurrent cleaner or writer) are skipped; nothing here raises ``OSError``.

    Parameters
    ----------
    folder : path-like
        Folder to clean (not recursive). A missing folder is nothing to clean.
    older_than_s : float, default 3600
        Minimum time since the last modification [s]; 0 removes every matching file whatever its age.

    Returns
    -------
    list of pathlib.Path
        The files removed.

    Raises
    ------
    InputError
        If ``older_than_s`` is negative or not finite.
    """
    if isinstance(older_than_s, bool) or not (math.isfinite(older_than_s) and older_than_s >= 0):
        raise InputError(f"older_than_s {older_than_s!r} must be a number of seconds >= 0 (0: any age)")
    base = Path(folder)
    try:
        entries = [e for e in os.scandir(base) if is_lupex_temp_name(e.name) or _TEMP_DIR_NAME.fullmatch(e.name)]
    except OSError as err:  # missing, not a folder, not readable: nothing this process can clean
        log.debug("no stale temporary files looked for in %s: %s", base, err)
        return []
    now = time.time()
    removed: list[Path] = []
    n_bytes = 0
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
            ours = is_dir == bool(_TEMP_DIR_NAME.fullmatch(entry.name))  # a file's name on a folder is a user's
            if not (entry.is_file(follow_symlinks=False) or is_dir) or not ours:
                continue
            info = entry.stat(follow_symlinks=False)
            if older_than_s > 0 and now - info.st_mtime < older_than_s and not _writer_gone(entry.name):
                continue
            size = _remove_entry(entry)
        except FileNotFoundError:  # finished (renamed) or removed by another process meanwhile
            continue
        except OSError as err:
            log.warning("cannot remove stale temporary file %s: %s", entry.path, err.strerror or err)
            continue
        removed.append(Path(entry.path))
        n_bytes += size
    if removed:
        log.warning(
            "removed %d stale temporary file%s (%.1f MB) left by an interrupted run in %s",
            len(removed),
            "" if len(removed) == 1 else "s",
            n_bytes / 1e6,
            base,
        )
    return removed


def clean_stale_temp_files_once(folder: str | os.PathLike[str]) -> list[Path]:
    """:func:`clean_stale_temp_files` with the default age, the first time this process uses ``folder``.

    Later calls for the same folder (by absolute path) return ``[]`` at once, so the check can sit on the path of
    every cache read and write. Thread-safe.
    """
    name = os.path.abspath(folder)
    with _cleaned_lock:
        if name in _cleaned_folders:
            return []
        _cleaned_folders.add(name)
    return clean_stale_temp_files(name)
