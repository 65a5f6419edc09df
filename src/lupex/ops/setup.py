"""Assemble a campaign from the chain's products: terrain window, haven, rover, thermal map, value map, comms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from lupex.errors import InputError
from lupex.ops.campaign import CampaignInputs
from lupex.ops.params import OpsParams
from lupex.ops.sky import CellSkyLookup
from lupex.ops.sorties import LibraryPlanner, Sortie, TraversePlanner
from lupex.ops.thermal_node import ThermalNode
from lupex.traverse import Rover, cell_sky_series, window_cell

__all__ = ["CampaignWorld", "downlink_MB_per_hour", "library_inputs", "planner_inputs"]

#: Horizon azimuths of the campaign's sky (as the traverse stage's).
N_AZIMUTH = 90


@dataclass(frozen=True)
class CampaignWorld:
    """What does not change between campaigns of one scenario.

    Attributes
    ----------
    dem, window : xarray.DataArray
        The traverse DEM and the rover's window.
    site : tuple of float
        Landing site (lat, lon) [deg].
    start_utc : datetime64
    rover : Rover
    params : OpsParams
    ice_class : xarray.DataArray
    value : xarray.DataArray or None
        Value of one more drill per cell (the science stage's map), or None (nearest first).
    downlink_MB_h : ndarray
        Network capacity per mission hour [MB/h].
    node : ThermalNode
    cache : bool
    """

    dem: xr.DataArray
    window: xr.DataArray
    site: tuple[float, float]
    start_utc: np.datetime64
    rover: Rover
    params: OpsParams
    ice_class: xr.DataArray
    value: xr.DataArray | None
    downlink_MB_h: np.ndarray
    node: ThermalNode
    cache: bool = True
    haven: tuple[float, float] | None = None

    def haven_latlon(self) -> tuple[float, float]:
        """The safe haven (lat, lon) [deg] (the landing site when none was chosen)."""
        return self.site if self.haven is None else self.haven

    def site_cell(self) -> tuple[int, int]:
        """The landing site's cell in the window."""
        return window_cell(self.window, *self.site)

    def haven_cell(self) -> tuple[int, int]:
        """The haven's cell in the window."""
        return window_cell(self.window, *self.haven_latlon())

    def planning_rover(self) -> Rover:
        """The rover as the sortie planner sees it: leaving the haven at the start charge."""
        return replace(self.rover, initial_state_of_charge=self.params.start_state_of_charge)

    def end_utc(self) -> np.datetime64:
        """End of the surface mission."""
        return self.start_utc + np.timedelta64(int(round(self.params.duration_days * 86400)), "s")


def downlink_MB_per_hour(
    time_utc: np.ndarray, rate_bps: np.ndarray, start_utc: np.datetime64, hours: int
) -> np.ndarray:
    """Mean network capacity of each mission hour [MB/h] from a sampled rate series [bps] (0 outside it).

    Parameters
    ----------
    time_utc : datetime64 (n,)
        Sample instants, each standing for the interval to the next.
    rate_bps : ndarray (n,)
        Downlink rate [bit/s].
    start_utc : datetime64
        Mission start.
    hours : int
        Mission hours wanted.
    """
    t = np.asarray(time_utc, dtype="datetime64[ns]")
    r = np.asarray(rate_bps, dtype=float)
    if t.shape != r.shape:
        raise InputError(f"time_utc {t.shape} and rate_bps {r.shape} must have the same shape")
    out = np.zeros(hours)
    if t.size == 0:
        return out
    h = ((t - np.asarray(start_utc, dtype="datetime64[ns]")) / np.timedelta64(3600, "s")).astype(float)
    step_s = float(np.median(np.diff(t)) / np.timedelta64(1, "s")) if t.size > 1 else 3600.0
    k = np.floor(h).astype(int)
    keep = (k >= 0) & (k < hours)
    np.add.at(out, k[keep], r[keep] * step_s / 8e6)  # MB carried by each sample
    return out


def _cell_sky(world: CampaignWorld, cells: Sequence[tuple[int, int]]) -> CellSkyLookup:
    sky = cell_sky_series(world.dem, world.start_utc, world.end_utc(), "1h", cells=np.array(sorted(set(cells))),
                          window=world.window, mast_height_m=world.rover.mast_height_m, n_azimuth=N_AZIMUTH,
                          cache=world.cache)  # fmt: skip
    return CellSkyLookup(sky, world.start_utc)


def planner_inputs(world: CampaignWorld) -> CampaignInputs:
    """Inputs of the deterministic campaign: the transfer from the landing site to the haven planned at the start,
    then sorties planned by the traverse planner as the campaign goes."""
    p = world.params
    planner = TraversePlanner(world.dem, world.window, world.haven_latlon(), world.planning_rover(),
                              world.ice_class, world.value, sortie_days=p.sortie_days, dwell_h=p.drill_dwell_h,
                              reach_m=p.reach_m, n_azimuth=N_AZIMUTH, cache=world.cache)  # fmt: skip
    land, haven = world.site_cell(), world.haven_cell()
    transfer = planner.transfer(world.start_utc, world.site) if land != haven else None
    if transfer is None and land != haven:
        raise InputError(f"no feasible drive from the landing site {world.site} to the haven {world.haven}; "
                         "choose a haven nearer the site")  # fmt: skip
    cells = [land, haven, *(transfer.cells if transfer is not None else [])]
    return CampaignInputs(world.start_utc, haven, _cell_sky(world, cells), world.rover, p, world.downlink_MB_h,
                          planner, world.node, float(world.window.attrs["res_m"]), land, transfer)  # fmt: skip


def library_inputs(world: CampaignWorld, sorties: Sequence[Sortie], transfer: Sortie | None) -> CampaignInputs:
    """Inputs of a Monte Carlo campaign: the planned transfer and sorties replayed at whatever time each starts,
    the sky of every cell they touch over the whole mission computed once."""
    land, haven = world.site_cell(), world.haven_cell()
    trips = [*sorties, *([transfer] if transfer is not None else [])]
    cells = [land, haven, *(c for s in trips for c in s.cells)]
    return CampaignInputs(world.start_utc, haven, _cell_sky(world, cells), world.rover, world.params,
                          world.downlink_MB_h, LibraryPlanner(sorties), world.node,
                          float(world.window.attrs["res_m"]), land,
                          None if transfer is None else replace(transfer, env=None))  # fmt: skip
