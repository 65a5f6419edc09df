"""Sun and Earth at a cell and a mission time, from a traverse environment or a campaign's cell sky series."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from lupex.errors import InputError
from lupex.ops.clock import as_ns
from lupex.traverse import CellSky, TraverseEnvironment

__all__ = ["CellSkyLookup", "EnvSkyLookup", "SkyLookup"]


class SkyLookup(Protocol):
    """``at(t_ns, cell)`` -> (sun fraction [-], Sun elevation [deg], Earth visible, Sun distance [au]) at mission
    time ``t_ns`` (integer ns since the start) in window cell ``(row, col)``; the sample holding ``t_ns``."""

    def at(self, t_ns: int, cell: tuple[int, int]) -> tuple[float, float, bool, float]: ...


def _offset_ns(first_utc: np.datetime64, start_utc: np.datetime64) -> int:
    return int((as_ns(first_utc) - as_ns(start_utc)) / np.timedelta64(1, "ns"))


class CellSkyLookup:
    """Lookup into a :class:`lupex.traverse.CellSky` (times before or after it take its first or last sample)."""

    def __init__(self, sky: CellSky, start_utc: np.datetime64) -> None:
        self.sky = sky
        self.offset_ns = _offset_ns(sky.time_utc[0], start_utc)
        self.step_ns = int(round(sky.step_s * 1e9))
        self.index = {(int(r), int(c)): k for k, (r, c) in enumerate(sky.cells)}
        self.sun = np.asarray(sky.sun_fraction, dtype=np.float64)
        self.elev = np.asarray(sky.sun_elevation_deg, dtype=np.float64)

    def at(self, t_ns: int, cell: tuple[int, int]) -> tuple[float, float, bool, float]:
        """See :class:`SkyLookup`."""
        k = self.index.get(cell)
        if k is None:
            raise InputError(f"cell {cell} has no sky series in this campaign; include it in the campaign's cells")
        s = min(max((t_ns - self.offset_ns) // self.step_ns, 0), self.sun.shape[0] - 1)
        return (float(self.sun[s, k]), float(self.elev[s, k]), bool(self.sky.earth_visible[s, k]),
                float(self.sky.sun_distance_au[s]))  # fmt: skip


class EnvSkyLookup:
    """Lookup into a whole-window :class:`lupex.traverse.TraverseEnvironment`; outside its period, ``fallback``."""

    def __init__(self, env: TraverseEnvironment, start_utc: np.datetime64, fallback: SkyLookup | None = None) -> None:
        self.env = env
        self.offset_ns = _offset_ns(env.time_utc[0], start_utc)
        self.step_ns = int(round(env.step_s * 1e9))
        self.fallback = fallback

    def at(self, t_ns: int, cell: tuple[int, int]) -> tuple[float, float, bool, float]:
        """See :class:`SkyLookup`."""
        s = (t_ns - self.offset_ns) // self.step_ns
        nt = self.env.time_utc.size
        if not 0 <= s < nt and self.fallback is not None:
            try:
                return self.fallback.at(t_ns, cell)
            except InputError:
                pass
        s = min(max(s, 0), nt - 1)
        r, c = cell
        return (float(self.env.sun_fraction[s, r, c]), float(self.env.sun_elevation_deg[s, r, c]),
                bool(self.env.earth_visible[s, r, c]), float(self.env.sun_distance_au[s]))  # fmt: skip
