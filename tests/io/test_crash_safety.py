"""Crash safety of outputs and caches: what a killed writer leaves behind is cleaned, and only that.

A writer killed with SIGKILL inside :func:`lupex.io.atomic_write_path` cannot remove its temporary file; the
next use of the horizon cache folder removes it (at once, since its writer is gone; a file whose writer may still
be at work only once it is older than the threshold) and says so in the log.
Other files in the folder are never touched. A truncated stage-cache pickle is reported, deleted and recomputed.
"""

from __future__ import annotations

import logging
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from lupex.errors import InputError
from lupex.io import atomic_write_path, clean_stale_temp_files
from lupex.io.atomic import STALE_TEMP_AGE_S, TEMP_PREFIX, clean_stale_temp_files_once, is_lupex_temp_name
from lupex.io.cache import content_key, read_cache_entry, write_cache_entry
from lupex.io.tables import read_pickle, write_pickle

KEY = content_key("crash-safety-test")
TWO_HOURS_S = 2 * 3600.0
PAYLOAD_BYTES = 3_000_000  # what the killed writer got onto disk

_KILLED_WRITER = """
import os, signal, sys
from lupex.io.atomic import atomic_write_path

with atomic_write_path(sys.argv[1]) as tmp, open(tmp, "wb") as handle:
    handle.write(b"LUPEXHZ1" + bytes({n} - 8))
    handle.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 from outside: no finally, no atexit
"""


def _kill_a_writer(target: Path) -> Path:
    """Run a process that dies by SIGKILL while writing ``target``; return the temporary file it left."""
    code = textwrap.dedent(_KILLED_WRITER.format(n=PAYLOAD_BYTES))
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    left = [p for p in target.parent.iterdir() if p.name != target.name]
    assert len(left) == 1, left
    assert not target.exists()
    return left[0]


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def _records(caplog: pytest.LogCaptureFixture, level: int = logging.WARNING) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


def test_a_killed_writer_leaves_its_temp_file_and_the_next_cache_use_removes_it(tmp_path, caplog):
    folder = tmp_path / "horizon"
    tmp = _kill_a_writer(folder / f"{KEY}.lhz")
    assert tmp.name.startswith(TEMP_PREFIX) and f".{KEY}.lhz." in tmp.name and tmp.name.endswith(".tmp")
    assert is_lupex_temp_name(tmp.name)
    assert tmp.stat().st_size == PAYLOAD_BYTES
    # the next start comes right after the kill: the writer is gone, so its file goes at once
    with caplog.at_level(logging.WARNING, logger="lupex"):
        assert read_cache_entry(folder, KEY) is None  # nothing under the final name: a cache miss
    assert not tmp.exists()
    assert _records(caplog) == [f"removed 1 stale temporary file (3.0 MB) left by an interrupted run in {folder}"]
    # the folder works as before: an entry written and read back
    arrays = {"horizon_rad": np.arange(12, dtype=np.float32).reshape(3, 4)}
    write_cache_entry(folder, KEY, arrays)
    got = read_cache_entry(folder, KEY)
    assert got is not None
    np.testing.assert_array_equal(got["horizon_rad"], arrays["horizon_rad"])
    assert sorted(p.name for p in folder.iterdir()) == [f"{KEY}.lhz"]


def test_the_first_cache_write_of_a_process_also_cleans(tmp_path, caplog):
    folder = tmp_path / "horizon"
    folder.mkdir()
    stale = folder / f"{TEMP_PREFIX}{KEY}.lhz.abcd_123.tmp"
    stale.write_bytes(bytes(1000))
    _age(stale, TWO_HOURS_S)
    with caplog.at_level(logging.WARNING, logger="lupex"):
        write_cache_entry(folder, KEY, {"a": np.zeros(3)})
    assert not stale.exists()
    assert _records(caplog) == [f"removed 1 stale temporary file (0.0 MB) left by an interrupted run in {folder}"]


def _live_writer_temp(folder: Path, pid: int, host: str | None = None) -> Path:
    from lupex.io.atomic import _host_tag

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{TEMP_PREFIX}{host or _host_tag()}-{pid}.{KEY}.lhz.abcd_123.tmp"
    path.write_bytes(bytes(1000))
    return path


def test_a_temp_file_of_a_writer_still_at_work_is_kept(tmp_path, caplog):
    folder = tmp_path / "horizon"
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        tmp = _live_writer_temp(folder, writer.pid)
        with caplog.at_level(logging.WARNING, logger="lupex"):
            assert read_cache_entry(folder, KEY) is None
            assert clean_stale_temp_files(folder) == []
        assert tmp.exists() and _records(caplog) == []
    finally:
        writer.kill()
        writer.wait()
    assert clean_stale_temp_files(folder) == [tmp]  # its writer ended: removed at once


def test_a_temp_file_of_another_host_goes_by_age_only(tmp_path):
    folder = tmp_path / "shared"
    tmp = _live_writer_temp(folder, 999_999_999, host="0000")
    from lupex.io.atomic import _host_tag

    if _host_tag() == "0000":
        pytest.skip("this host's tag is 0000")
    assert clean_stale_temp_files(folder) == []
    # just under the threshold: still kept; just over it: removed
    _age(tmp, STALE_TEMP_AGE_S - 60.0)
    assert clean_stale_temp_files(folder) == []
    _age(tmp, STALE_TEMP_AGE_S + 60.0)
    assert clean_stale_temp_files(folder) == [tmp]
    assert not tmp.exists()


def test_zero_threshold_removes_temp_files_of_any_age(tmp_path):
    tmp = _live_writer_temp(tmp_path, os.getpid())  # this process: still at work
    assert clean_stale_temp_files(tmp_path, older_than_s=10.0) == []
    assert clean_stale_temp_files(tmp_path, older_than_s=0) == [tmp]
    assert list(tmp_path.iterdir()) == []


def test_only_lupex_temp_files_are_removed(tmp_path, caplog):
    legacy = f".sites-{KEY}.pkl.k2x9_q0a.tmp"  # the name earlier versions gave a stage-cache temp file
    ours = f"{TEMP_PREFIX}mean_illumination.tif.a1b2c3d4.tmp"
    foreign = [
        "notes.tmp",
        "data.txt",
        ".notes.tmp",
        ".data.txt.abcdefgh.tmp",  # like the old pattern, but not a content-keyed cache entry: a user's file
        f"{TEMP_PREFIX}x.abc.tmp",  # random part of the wrong length
        f"{TEMP_PREFIX}x.abcdefgh.tmp.bak",
        f"{TEMP_PREFIX}x.ABCDEFGH.tmp",
        f"{KEY}.lhz",
        "report.html",
    ]
    for name in [legacy, ours, *foreign]:
        (tmp_path / name).write_text("x" * 100)
        _age(tmp_path / name, 10 * TWO_HOURS_S)
    lookalike_dir = tmp_path / f"{TEMP_PREFIX}folder.abcdefgh.tmp"
    lookalike_dir.mkdir()
    link = tmp_path / f"{TEMP_PREFIX}link.abcdefgh.tmp"
    link.symlink_to(tmp_path / "data.txt")
    _age(link, 10 * TWO_HOURS_S)
    with caplog.at_level(logging.WARNING, logger="lupex"):
        removed = clean_stale_temp_files(tmp_path, older_than_s=0)
    assert sorted(p.name for p in removed) == sorted([legacy, ours])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*foreign, lookalike_dir.name, link.name])
    assert (tmp_path / "data.txt").read_text() == "x" * 100  # the link's target is untouched
    assert _records(caplog) == [f"removed 2 stale temporary files (0.0 MB) left by an interrupted run in {tmp_path}"]


def test_a_file_that_vanishes_meanwhile_is_skipped(tmp_path, monkeypatch, caplog):
    names = [f"{TEMP_PREFIX}a.bin.aaaaaaaa.tmp", f"{TEMP_PREFIX}b.bin.bbbbbbbb.tmp"]
    for name in names:
        (tmp_path / name).write_bytes(bytes(2_000_000))
    real_unlink = os.unlink

    def racing_unlink(path, *args, **kwargs):
        if str(path).endswith(names[0]):
            real_unlink(path)  # another cleaner got there first
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr("lupex.io.atomic.os.unlink", racing_unlink)
    with caplog.at_level(logging.WARNING, logger="lupex"):
        removed = clean_stale_temp_files(tmp_path, older_than_s=0)
    assert removed == [tmp_path / names[1]]
    assert list(tmp_path.iterdir()) == []
    assert _records(caplog) == [f"removed 1 stale temporary file (2.0 MB) left by an interrupted run in {tmp_path}"]


def test_missing_folder_and_bad_threshold(tmp_path):
    assert clean_stale_temp_files(tmp_path / "nope") == []
    (tmp_path / "file").write_text("")
    assert clean_stale_temp_files(tmp_path / "file") == []
    for bad in (-1.0, float("nan"), float("inf"), True):
        with pytest.raises(InputError, match="older_than_s"):
            clean_stale_temp_files(tmp_path, older_than_s=bad)


def test_once_per_folder_and_process(tmp_path):
    first = tmp_path / f"{TEMP_PREFIX}a.aaaaaaaa.tmp"
    first.write_text("")
    _age(first, TWO_HOURS_S)
    assert clean_stale_temp_files_once(tmp_path) == [first]
    second = tmp_path / f"{TEMP_PREFIX}b.bbbbbbbb.tmp"
    second.write_text("")
    _age(second, TWO_HOURS_S)
    (tmp_path / "sub").mkdir()
    assert clean_stale_temp_files_once(f"{tmp_path}/sub/..") == []  # the same folder: already cleaned
    assert second.exists()


def test_a_failed_write_leaves_nothing_and_the_temp_name_is_recognised(tmp_path):
    seen = []
    with pytest.raises(RuntimeError), atomic_write_path(tmp_path / "out.csv") as tmp:
        seen.append(tmp.name)
        tmp.write_text("partial")
        raise RuntimeError("interrupted")
    assert is_lupex_temp_name(seen[0]) and seen[0].startswith(TEMP_PREFIX) and ".out.csv." in seen[0]
    assert list(tmp_path.iterdir()) == []
    long_name = "n" * 200 + ".tif"  # the temp name stays within the 255-byte limit
    with atomic_write_path(tmp_path / long_name) as tmp:
        assert is_lupex_temp_name(tmp.name) and len(tmp.name) < 120
        tmp.write_text("ok")
    assert (tmp_path / long_name).read_text() == "ok"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_corrupt_stage_cache_pickle_is_reported_deleted_and_recomputed(tmp_path, caplog, damage):
    path = tmp_path / "runs" / f"sites-{KEY}.pkl"
    write_pickle({"metrics": np.arange(1000.0), "n": 3}, path)
    raw = path.read_bytes()
    path.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": b"\x00not a pickle" * 10, "empty": b""}[damage])
    with caplog.at_level(logging.WARNING, logger="lupex"):
        assert read_pickle(path) is None
    assert not path.exists()
    messages = _records(caplog)
    assert len(messages) == 1
    assert messages[0].startswith(f"stage cache entry {path} is truncated or corrupt (")
    assert messages[0].endswith("); recomputing")


def test_a_missing_stage_cache_entry_is_a_silent_miss_and_a_good_one_loads(tmp_path, caplog):
    path = tmp_path / "runs" / f"traverse-{KEY}.pkl"
    with caplog.at_level(logging.DEBUG, logger="lupex"):
        assert read_pickle(path) is None
        assert read_pickle(tmp_path / "not-a-folder" / "x.pkl") is None
    assert caplog.records == []
    write_pickle({"n": 3}, path)
    assert read_pickle(path) == {"n": 3}
    assert path.exists()
    assert pickle.loads(path.read_bytes()) == {"n": 3}


def test_a_killed_folder_writer_leaves_a_folder_the_next_clean_removes(tmp_path):
    """``atomic_write_dir`` (Zarr stores): a failure keeps the old folder; a stale temporary folder is removed, a
    user's folder named like a temporary file is not."""
    from lupex.io.atomic import atomic_write_dir

    target = tmp_path / "maps.zarr"
    with atomic_write_dir(target) as tmp:
        (tmp / "a").write_text("old")
    with pytest.raises(RuntimeError), atomic_write_dir(target) as tmp:
        (tmp / "a").write_text("new")
        raise RuntimeError("interrupted")
    assert (target / "a").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps.zarr"]
    stale = tmp_path / f"{TEMP_PREFIX}0000-999999999.maps.zarr.abcdefgh.tmpdir"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "chunk").write_bytes(bytes(1000))
    users = tmp_path / f"{TEMP_PREFIX}folder.abcdefgh.tmp"
    users.mkdir()
    removed = clean_stale_temp_files(tmp_path, older_than_s=0)
    assert removed == [stale] and users.is_dir() and not stale.exists()
    with atomic_write_dir(target) as tmp:
        (tmp / "b").write_text("newer")
    assert sorted(p.name for p in target.iterdir()) == ["b"]
