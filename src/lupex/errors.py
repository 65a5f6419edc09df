"""Exception and warning hierarchy of lupex.

Every error raised on purpose by lupex derives from :class:`LupexError`; domain errors also
derive from the matching builtin so that generic ``except ValueError`` code keeps working
(the rasterio / astropy pattern). Messages name the argument, say what is accepted and how
to fix it.
"""

from __future__ import annotations

__all__ = [
    "CacheError",
    "DataNotFoundError",
    "DemError",
    "EphemerisRangeError",
    "InputError",
    "LupexError",
    "LupexWarning",
    "TimeError",
    "TimeOutsideEphemerisError",
]


class LupexError(Exception):
    """Root of all lupex errors."""


class InputError(LupexError, ValueError):
    """An argument has a value lupex cannot accept (out of range, wrong form)."""


class TimeError(InputError):
    """A time or duration is malformed or not UTC-aware."""


class DemError(LupexError, ValueError):
    """A DEM cannot be used: wrong CRS, units, pixel shape, or no valid heights."""


class DataNotFoundError(LupexError, FileNotFoundError):
    """A file or a bundled data set does not exist or cannot be read."""


class CacheError(LupexError, OSError):
    """A cache directory cannot be written."""


class EphemerisRangeError(LupexError, ValueError):
    """Times fall outside the range covered by the ephemeris and orientation kernels.

    Attributes
    ----------
    start_utc, end_utc : str
        ISO 8601 UTC bounds of the valid range.
    """

    def __init__(self, message: str, start_utc: str, end_utc: str) -> None:
        super().__init__(message)
        self.start_utc = start_utc
        self.end_utc = end_utc


class TimeOutsideEphemerisError(TimeError, EphemerisRangeError):
    """A time outside the ephemeris range: a :class:`TimeError` (a bad argument) that is also an
    :class:`EphemerisRangeError` (``start_utc`` / ``end_utc`` carry the valid range)."""


class LupexWarning(UserWarning):
    """Base class of lupex warnings.

    None is issued at present: a result of reduced accuracy is reported in the log (WARNING) and flagged in the
    result (e.g. the ``edge_limited`` coordinate of a horizon map whose rays leave the terrain data early).
    """
