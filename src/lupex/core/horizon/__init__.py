"""Terrain horizon maps on a spherical body: sheared-line sweep with an exact upper convex hull.

For every cell of a DEM in south polar stereographic coordinates and every azimuth, the kernel
returns the elevation angle [rad] of the terrain horizon seen from the cell centre at
``observer_height_m`` above the terrain, including terrain from coarser far-field DEMs.

Algorithm (see ``docs/models/horizon.md``), module by module:

* :mod:`.sampling` — the bilinear surface of the main DEM and its far fields (a :data:`World`).
* :mod:`.sweep` — for each azimuth the grid is covered by straight "sheared" lines parallel to the
  ray, one cell apart along the minor axis, sampled at every row (column) step, half step and
  crossing of a column (row) line through cell centres (kinks of the bilinear surface), extended into
  the far-field grids up to ``max_distance_m`` beyond the last grid row. Samples are placed in the
  exact 2-D great-circle plane of the line (projective frame: curvature is exact, not a parabola).
  The line is swept from its far end; each cell is served by the two lines that bracket it, from the
  foot of the perpendicular from the cell centre, with its own observer height, blended linearly by
  the lateral offset; where the two disagree near the cell, or the terrain ends early, the cell's own
  ray is marched instead (adaptive march).
* :mod:`.hull` — the samples a cell may see (beyond its near field, within ``max_distance_m``) form a
  sliding window, kept as two upper convex hulls (a two-stack queue); the tangent query is a galloping
  + binary search.
* :mod:`.near` — the first ``near_samples`` steps along the cell's own ray are evaluated exactly for
  the bilinear surface (every crossing of a row or column line, and each segment's interior maximum).
* :mod:`.kernel` — the parallel driver (over azimuths) and :func:`horizon_map_cpu`.

Beyond the outermost cell centres of a grid there is no terrain from it (no edge replication); a ray
ends there unless a far field covers the point. Just beyond a grid, the next far field's surface is shifted to meet
it, the shift fading over one of the far field's pixels (no cliff at the seam; :mod:`.sampling`). All quantities
are SI: heights and distances [m], angles [rad].
"""

from lupex.core.horizon.kernel import (
    DEFAULT_ADAPTIVE_MARGIN,
    DEFAULT_ADAPTIVE_STEPS,
    DEFAULT_ADAPTIVE_TOL,
    DEFAULT_NEAR_SAMPLES,
    DEFAULT_NEAR_SUBSTEPS,
    MAX_FAR_FIELDS,
    FarField,
    check_horizon_inputs,
    horizon_map_cpu,
    pack_far_fields,
)

__all__ = [
    "DEFAULT_ADAPTIVE_MARGIN",
    "DEFAULT_ADAPTIVE_STEPS",
    "DEFAULT_ADAPTIVE_TOL",
    "DEFAULT_NEAR_SAMPLES",
    "DEFAULT_NEAR_SUBSTEPS",
    "MAX_FAR_FIELDS",
    "FarField",
    "check_horizon_inputs",
    "horizon_map_cpu",
    "pack_far_fields",
]
