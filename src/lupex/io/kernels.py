"""Loading of the ephemeris and lunar orientation kernels (the only code that opens them).

The DE421 planetary ephemeris comes from the ``skyfield-data`` package; the lunar orientation
kernels (``moon_pa_de421_1900-2050.bpc``, ``moon_080317.tf``) and the text PCK with the lunar radii
(``pck00011.tpc``) are bundled in ``lupex/data`` (see its PROVENANCE.md).
"""

from __future__ import annotations

import atexit
import functools
import io
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lupex.errors import DataNotFoundError

ORIENTATION_KERNELS = ("moon_080317.tf", "pck00011.tpc", "moon_pa_de421_1900-2050.bpc")


@dataclass(frozen=True)
class EphemerisKernels:
    """Loaded kernels: the Skyfield timescale, the DE421 SPK and the lunar planetary constants."""

    timescale: Any
    planets: Any
    constants: Any


@functools.lru_cache(maxsize=1)
def load_ephemeris_kernels() -> EphemerisKernels:
    """Load (once per process) DE421 and the bundled lunar orientation kernels.

    Raises
    ------
    DataNotFoundError
        If the installation lacks a kernel (reinstall lupex / skyfield-data).
    """
    from skyfield.api import Loader
    from skyfield.planetarylib import PlanetaryConstants

    with warnings.catch_warnings():
        # skyfield-data warns about its (unused here) Earth-orientation file expiring
        warnings.simplefilter("ignore", RuntimeWarning)
        from skyfield_data import get_skyfield_data_path

        data_path = get_skyfield_data_path()
    try:
        loader = Loader(data_path, verbose=False, expire=False)
        timescale = loader.timescale(builtin=True)
        planets = loader("de421.bsp")
        atexit.register(planets.close)  # the SPK is read lazily through an open handle
    except OSError as err:
        raise DataNotFoundError(
            f"DE421 ephemeris not found in skyfield-data ({data_path}); reinstall with pip install skyfield-data"
        ) from err
    constants = PlanetaryConstants()
    data = resources.files("lupex") / "data"
    for name in ORIENTATION_KERNELS:
        kernel_path = Path(str(data / name))
        try:
            if name.endswith(".bpc"):
                # Skyfield reads binary PCK segments lazily; an in-memory copy (1.8 MB) leaves no open handle.
                constants.read_binary(io.BytesIO(kernel_path.read_bytes()))
            else:
                with open(kernel_path, "rb") as handle:
                    constants.read_text(handle)
        except OSError as err:
            raise DataNotFoundError(f"bundled kernel {name!r} is missing; reinstall lupex") from err
    return EphemerisKernels(timescale=timescale, planets=planets, constants=constants)
