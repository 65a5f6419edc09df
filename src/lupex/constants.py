"""Physical and geometric constants, SI units, each with its source.

Names carry their unit as a suffix (``_m``, ``_km``, ``_deg``).
"""

from __future__ import annotations

#: Lunar reference sphere radius used by LOLA gridded products and the IAU_2015:30135 CRS [m].
#: Source: LOLA GDR SIS; IAU WGCCRE 2015 (Archinal et al. 2018), BODY301_RADII in pck00011.tpc.
MOON_RADIUS_M = 1_737_400.0

#: Mean solar radius [km]. Source: IAU 2015 Resolution B3 nominal solar radius.
SUN_RADIUS_KM = 695_700.0

#: Earth equatorial radius [km] (apparent disk size as seen from the Moon). Source: IERS / WGS84.
EARTH_RADIUS_KM = 6_378.137

#: Speed of light [m/s] (exact, SI).
SPEED_OF_LIGHT_M_S = 299_792_458.0

#: Astronomical unit [km] (IAU 2012 Resolution B2, exact).
AU_KM = 149_597_870.7

#: Earth's mean radius used for curvature by GRASS GIS r.horizon [m] (hard-coded there).
EARTH_MEAN_RADIUS_M = 6_371_000.0

#: PROJ definition of the lunar south polar stereographic grid (sphere R = 1737400 m, true scale at the pole).
SOUTH_POLAR_STEREOGRAPHIC_PROJ = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"

#: Authority code of the same CRS in the PROJ database (IAU 2015 Moon sphere, south polar stereographic).
SOUTH_POLAR_STEREOGRAPHIC_CRS = "IAU_2015:30135"
