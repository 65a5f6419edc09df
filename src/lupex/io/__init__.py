"""File formats: the only layer of lupex that opens paths (DEMs, SPICE kernels, outputs)."""

from lupex.io.atomic import atomic_write_path, clean_stale_temp_files
from lupex.io.dem import BUILTIN_DEMS, builtin_dem_path, read_dem, write_geotiff
from lupex.io.kernels import load_ephemeris_kernels

__all__ = [
    "BUILTIN_DEMS",
    "atomic_write_path",
    "builtin_dem_path",
    "clean_stale_temp_files",
    "load_ephemeris_kernels",
    "read_dem",
    "write_geotiff",
]
