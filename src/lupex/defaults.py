"""Every default parameter of lupex, in one place, with its unit, source and confidence.

Reports list the ``placeholder`` and ``estimate`` defaults a run used (see :func:`used_placeholders`).
Sources are cited per value; the project's research notes (mission facts, illumination references) and the
model cards under ``docs/models`` give the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["published", "estimate", "placeholder"]


@dataclass(frozen=True)
class Default:
    """A documented default value.

    Attributes
    ----------
    value : float
        The value, in ``unit``.
    unit : str
        Unit of ``value`` (also the suffix of the parameter name).
    source : str
        Where the number comes from.
    confidence : {"published", "estimate", "placeholder"}
        ``published``: taken from a cited document; ``estimate``: our engineering estimate from published
        context; ``placeholder``: a stand-in until a real value is known.
    """

    value: float
    unit: str
    source: str
    confidence: Confidence


DEFAULTS: dict[str, Default] = {
    "rover_mast_height_m": Default(
        2.0,
        "m",
        "Observer height used by Gläser et al. 2014/2018 for rover-scale illumination (Icarus 243)",
        "published",
    ),
    "tower_height_m": Default(
        10.0,
        "m",
        "Observer height used by Gläser et al. 2014 for a mast/tower (Icarus 243)",
        "published",
    ),
    "demo_site_lat_deg": Default(
        -89.45,
        "deg",
        "Centre of PGDA Site01 connecting-ridge DEM (Barker et al. 2021, PSS 203, 105119)",
        "published",
    ),
    "demo_site_lon_deg": Default(
        222.5, "deg", "Centre of PGDA Site01 connecting-ridge DEM (Barker et al. 2021)", "published"
    ),
    "demo_site_height_m": Default(
        1944.8,
        "m",
        "LOLA height at the Site01 centre pixel (bundled 10 m DEM, .source.txt)",
        "published",
    ),
    "horizon_max_distance_m": Default(
        200_000.0,
        "m",
        "Reach of horizon rays: terrain 7 km above a -5 km observer drops below the "
        "horizontal beyond sqrt(2 R dh) ~ 200 km (illumination-references.md 3.2)",
        "estimate",
    ),
}


def default(name: str) -> float:
    """Value of a documented default (raises ``KeyError`` listing the known names)."""
    try:
        return DEFAULTS[name].value
    except KeyError:
        raise KeyError(f"unknown default {name!r}; known: {', '.join(sorted(DEFAULTS))}") from None


def used_placeholders(names: list[str]) -> list[str]:
    """Names among ``names`` whose confidence is ``placeholder`` or ``estimate`` (for reports)."""
    return [n for n in names if n in DEFAULTS and DEFAULTS[n].confidence != "published"]
