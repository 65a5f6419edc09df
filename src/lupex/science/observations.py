"""The instruments' returns as the fusion reads them: positions in the polar stereographic grid [m], values with
their one-sigma uncertainties. The instrument models produce these; the resource estimate consumes them."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["DrillProfile", "NeutronTrack", "Observations", "RadarPicks"]


@dataclass(frozen=True)
class NeutronTrack:
    """Neutron-spectrometer integrations along the route.

    Attributes
    ----------
    x_m, y_m : float64 (n,)
        Footprint centres [m].
    weh_wt_pct, weh_sd_wt_pct : float64 (n,)
        Water-equivalent hydrogen of the uniform-layer inversion and its one-sigma uncertainty (Poisson counts
        propagated) [wt%].
    epithermal_counts : float64 (n,)
        Counts in each integration.
    integration_s : float
        Integration time [s].
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    weh_wt_pct: NDArray[np.float64]
    weh_sd_wt_pct: NDArray[np.float64]
    epithermal_counts: NDArray[np.float64]
    integration_s: float


@dataclass(frozen=True)
class RadarPicks:
    """Ground-penetrating-radar picks of the top of the ice-bearing layer along the route.

    Attributes
    ----------
    x_m, y_m : float64 (n,)
        Trace positions [m].
    depth_m, depth_sd_m : float64 (n,)
        Picked depth of the first reflector and its one-sigma uncertainty [m] (NaN: no reflector picked).
    """

    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    depth_m: NDArray[np.float64]
    depth_sd_m: NDArray[np.float64]


@dataclass(frozen=True)
class DrillProfile:
    """One drill hole: the analyser's water content per depth bin.

    Attributes
    ----------
    x_m, y_m : float
        Hole position [m].
    depth_top_m, depth_bottom_m : float64 (k,)
        Bins [m].
    weh_wt_pct, weh_sd_wt_pct : float64 (k,)
        Measured water [wt%] (after sublimation loss) and its one-sigma uncertainty; values below the detection
        limit are reported as the limit with ``below_detection`` True.
    below_detection : bool (k,)
    """

    x_m: float
    y_m: float
    depth_top_m: NDArray[np.float64]
    depth_bottom_m: NDArray[np.float64]
    weh_wt_pct: NDArray[np.float64]
    weh_sd_wt_pct: NDArray[np.float64]
    below_detection: NDArray[np.bool_]


@dataclass(frozen=True)
class Observations:
    """Everything measured along one route."""

    neutron: NeutronTrack | None = None
    radar: RadarPicks | None = None
    drills: list[DrillProfile] = field(default_factory=list)
