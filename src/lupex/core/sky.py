"""Sky geometry seen from a cell: the topocentric direction of a body and the horizon in its azimuth.

One copy of the formulas every per-cell kernel uses (illumination statistics, insolation, the traverse's
sky tables), written with ``register_jitable`` so numba CPU and CUDA kernels compile the same code.

* :func:`topocentric_enu` takes a body's unit direction from the Moon's centre (MOON_ME), its inverse
  distance and the cell's radius, and returns the **unit** direction from the cell in the cell's grid-east,
  grid-north and up axes. Removing the parallax ``d - (r / D) up`` and normalising gives the exact
  topocentric direction (``D d - r up`` scaled by ``1 / D``); without the normalisation the elevation sine is
  off by ``O(r / D)`` (0.45 % for the Earth), which is what two earlier inlined copies disagreed on.
* :func:`azimuth_bracket` returns the two profile samples bracketing a grid azimuth and the linear weight;
  :func:`horizon_between` interpolates between them.

Angles in radians, azimuths clockwise from grid north, distances in metres.
"""

from __future__ import annotations

import math

from numba.core.extending import register_jitable

__all__ = [
    "azimuth_bracket",
    "cell_frame",
    "horizon_between",
    "topocentric_enu",
    "topocentric_enu_first_order",
    "topocentric_enu_of_position",
]

_TWO_PI = 2.0 * math.pi


@register_jitable
def cell_frame(
    x: float, y: float, radius: float
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """Up, grid-east and grid-north unit vectors (MOON_ME) at grid point ``x, y`` [m] of the polar
    stereographic grid on a sphere of ``radius`` [m]."""
    rho = math.sqrt(x * x + y * y)
    c = 2.0 * math.atan(rho / (2.0 * radius))  # colatitude from the south pole
    lon = math.atan2(x, y)
    sc, cc = math.sin(c), math.cos(c)
    sl, cl = math.sin(lon), math.cos(lon)
    up0, up1, up2 = sc * cl, sc * sl, -cc
    # local north and east, then rotated by -lon / 90 - lon to grid north / grid east
    n0, n1, n2 = cc * cl, cc * sl, sc
    e0, e1, e2 = -sl, cl, 0.0
    gn0, gn1, gn2 = cl * n0 - sl * e0, cl * n1 - sl * e1, cl * n2 - sl * e2
    ge0, ge1, ge2 = sl * n0 + cl * e0, sl * n1 + cl * e1, sl * n2 + cl * e2
    return up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2


@register_jitable
def topocentric_enu(
    d0: float,
    d1: float,
    d2: float,
    inv_distance_per_m: float,
    r_cell_m: float,
    frame: tuple[float, float, float, float, float, float, float, float, float],
) -> tuple[float, float, float]:
    """Unit direction (grid east, grid north, up) [-] from a cell to a body.

    Parameters
    ----------
    d0, d1, d2
        Unit vector from the Moon's centre to the body (MOON_ME) [-].
    inv_distance_per_m
        1 / (Moon centre to body distance) [1/m]; 0 for a body at infinity.
    r_cell_m
        Distance of the cell from the Moon's centre [m].
    frame
        :func:`cell_frame` of the cell.
    """
    se, sn, su = topocentric_enu_first_order(d0, d1, d2, inv_distance_per_m, r_cell_m, frame)
    inv_norm = 1.0 / math.sqrt(su * su + se * se + sn * sn)
    return se * inv_norm, sn * inv_norm, su * inv_norm


@register_jitable
def azimuth_bracket(azimuth_rad: float, n_az: int) -> tuple[int, int, float]:
    """Profile samples ``k0, k1`` bracketing ``azimuth_rad`` in [0, 2 pi) and the weight of ``k1`` [-].

    Samples are at grid azimuths ``k * 2 pi / n_az``; the profile wraps around (``k1 = 0`` after the last).
    """
    pos = azimuth_rad * (n_az / _TWO_PI)
    k0 = int(pos)
    w = pos - k0
    if k0 >= n_az:
        k0 = n_az - 1
        w = 0.0
    elif k0 < 0:
        k0 = 0
        w = 0.0
    k1 = k0 + 1
    if k1 == n_az:
        k1 = 0
    return k0, k1, w


@register_jitable
def horizon_between(h0: float, h1: float, w: float) -> float:
    """Horizon [rad] at weight ``w`` between two bracketing profile samples (linear in azimuth)."""
    return (1.0 - w) * h0 + w * h1


@register_jitable
def topocentric_enu_first_order(
    d0: float,
    d1: float,
    d2: float,
    inv_distance_per_m: float,
    r_cell_m: float,
    frame: tuple[float, float, float, float, float, float, float, float, float],
) -> tuple[float, float, float]:
    """Direction (grid east, grid north, up) [-] from a cell to a distant body, parallax to first order and
    **not normalised**: ``d - (r / D) up`` in the cell's axes.

    For the Sun (``r / D <= 1.2e-5``) the vector's length is ``1 - (r / D) sin e`` to first order, so its up
    component, taken as the elevation sine, is off by at most ``(r / D) |sin e| < 1.2e-5`` (about 4e-7 where
    the Sun grazes the polar horizons, ``sin e < 0.03``); the azimuth (a ratio) is unaffected. The statistics
    and insolation kernels use this form for the Sun because it is linear in ``d``, which the exact block bounds
    of :func:`lupex.core.visibility.block_bounds` rely on. Arguments as :func:`topocentric_enu`.
    """
    up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2 = frame
    su = d0 * up0 + d1 * up1 + d2 * up2 - r_cell_m * inv_distance_per_m
    se = d0 * ge0 + d1 * ge1 + d2 * ge2
    sn = d0 * gn0 + d1 * gn1 + d2 * gn2
    return se, sn, su


@register_jitable
def topocentric_enu_of_position(
    p0: float,
    p1: float,
    p2: float,
    r_cell_m: float,
    frame: tuple[float, float, float, float, float, float, float, float, float],
) -> tuple[float, float, float]:
    """Unit direction (grid east, grid north, up) [-] from a cell to a body at position ``p`` [m] from the
    Moon's centre (MOON_ME): ``p - r up`` normalised, exact for near bodies (the Earth's parallax is ~1 deg).

    Parameters
    ----------
    p0, p1, p2
        Body position relative to the Moon's centre (MOON_ME) [m].
    r_cell_m
        Distance of the cell from the Moon's centre [m].
    frame
        :func:`cell_frame` of the cell.
    """
    up0, up1, up2, ge0, ge1, ge2, gn0, gn1, gn2 = frame
    v0 = p0 - r_cell_m * up0
    v1 = p1 - r_cell_m * up1
    v2 = p2 - r_cell_m * up2
    inv_norm = 1.0 / math.sqrt(v0 * v0 + v1 * v1 + v2 * v2)
    return (
        (v0 * ge0 + v1 * ge1 + v2 * ge2) * inv_norm,
        (v0 * gn0 + v1 * gn1 + v2 * gn2) * inv_norm,
        (v0 * up0 + v1 * up1 + v2 * up2) * inv_norm,
    )
