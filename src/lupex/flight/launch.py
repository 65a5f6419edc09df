"""H3-24L launch capability as payload against C3, interpolated between labelled published points, and margins.

Only two points are published for H3-24 (mission-facts.md 4.4): more than 7,900 kg to GTO (Delta-V to GSO
1,500 m/s) and the often-quoted "more than 6,000 kg" to lunar transfer orbit, which is unverified and is labelled
an estimate. Their C3 values are our two-body conversions (perigee 250 km; apogee at GEO, resp. at the mean lunar
distance). Between them the payload is interpolated linearly in C3; C3 outside the curve is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lupex.errors import InputError

__all__ = ["H3_24L_CURVE", "CapabilityPoint", "h3_payload_kg", "mass_margin_kg"]


@dataclass(frozen=True)
class CapabilityPoint:
    """One labelled point of a launcher curve.

    Attributes
    ----------
    label : str
        Target orbit.
    c3_km2_s2 : float
        Characteristic energy of the target orbit (our two-body conversion). [km^2/s^2]
    payload_kg : float
        Published payload. [kg]
    source : str
        Where the payload comes from.
    confidence : str
        ``published`` or ``estimate`` (unverified quote).
    """

    label: str
    c3_km2_s2: float
    payload_kg: float
    source: str
    confidence: str


def _c3_km2_s2(perigee_altitude_km: float, apogee_radius_km: float) -> float:
    """C3 = -mu / a of an ellipse with a 6378.137 km Earth and GM 398600.436 km^3/s^2. [km^2/s^2]"""
    a = 0.5 * (6378.137 + perigee_altitude_km + apogee_radius_km)
    return -398_600.436 / a


#: H3-24L payload against C3, ordered by C3.
H3_24L_CURVE: tuple[CapabilityPoint, ...] = (
    CapabilityPoint(
        "GTO (Delta-V to GSO 1,500 m/s)", _c3_km2_s2(250.0, 42_164.0), 7_900.0,
        "H3 (rocket), Wikipedia mirror https://enwikipedia.net/wiki/H3_(rocket) (mission-facts.md 4.4): "
        "'more than 7.9 t' for H3-24", "published",
    ),
    CapabilityPoint(
        "lunar transfer orbit", _c3_km2_s2(250.0, 384_400.0), 6_000.0,
        "'H3-24 ... more than 6,000 kg of payload to lunar transfer orbit', same mirror, unverified "
        "(mission-facts.md 4.4)", "estimate",
    ),
)  # fmt: skip


def h3_payload_kg(c3_km2_s2: float) -> float:
    """H3-24L payload at ``c3_km2_s2`` [km^2/s^2], linear in C3 between the points of :data:`H3_24L_CURVE`. [kg]

    Raises
    ------
    InputError
        C3 not finite or outside the curve (no extrapolation).
    """
    c3s = np.array([p.c3_km2_s2 for p in H3_24L_CURVE])
    if not (isinstance(c3_km2_s2, (int, float)) and math.isfinite(c3_km2_s2) and c3s[0] <= c3_km2_s2 <= c3s[-1]):
        raise InputError(
            f"c3_km2_s2 {c3_km2_s2!r} is outside the H3-24L curve [{c3s[0]:.2f}, {c3s[-1]:.2f}] km^2/s^2 "
            "(GTO to lunar transfer orbit); give a C3 in that range"
        )
    return float(np.interp(c3_km2_s2, c3s, [p.payload_kg for p in H3_24L_CURVE]))


def mass_margin_kg(c3_km2_s2: float, stack_wet_mass_kg: float) -> float:
    """Launcher payload at ``c3_km2_s2`` minus the stack's wet mass (negative: over capability). [kg]

    Raises
    ------
    InputError
        C3 outside the curve, or a stack mass not finite and > 0.
    """
    if not (isinstance(stack_wet_mass_kg, (int, float)) and math.isfinite(stack_wet_mass_kg) and stack_wet_mass_kg > 0):
        raise InputError(f"stack_wet_mass_kg {stack_wet_mass_kg!r} must be a finite mass > 0 kg, e.g. 6350")
    return h3_payload_kg(c3_km2_s2) - float(stack_wet_mass_kg)
