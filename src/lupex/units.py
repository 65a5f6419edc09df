"""Units: one pint registry for lupex, and the conversion of a user's value to a parameter's canonical unit.

Units are parsed and converted by pint, never compared as strings: ``3 kWh`` is ``3000 Wh``, ``2 km`` is
``2000 m``. Exponents may be written without ``**`` (``m2``, ``kg/m3``) as in lupex's parameter names. Angles
are dimensionless in pint, so a unit is also checked to be an angle where an angle is expected (``deg``), and
not an angle where a plain fraction is expected (``1``). Decibel quantities (``dB``, ``dBW``, ``dB/K`` ...) are
logarithmic: they are accepted only in their own unit.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

import pint

from lupex.errors import InputError

__all__ = ["UnitError", "canonical_value", "format_unit", "is_angle_unit", "registry"]

_EXPONENT = re.compile(r"(?<=[A-Za-z])(\d+)")
_ANGLE_NAMES = ("degree", "radian", "arcminute", "arcsecond", "turn", "gradian", "revolution")


class UnitError(InputError):
    """A unit is unknown, or of the wrong dimension for the parameter."""


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The lupex unit registry (``m2`` means square metres; ``d`` is a day; ``1`` is dimensionless)."""
    return pint.UnitRegistry(preprocessors=[lambda s: _EXPONENT.sub(r"**\1", s)], autoconvert_offset_to_baseunit=True)


def _unit(text: str) -> pint.Unit:
    if not isinstance(text, str):
        raise UnitError(f'unit {text!r} is not a string; write it as text, e.g. "Wh" or "m/s"')
    cleaned = text.strip()
    if cleaned in ("", "1", "-"):
        return registry().dimensionless
    try:
        return registry().Unit(cleaned)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError, AssertionError):  # fmt: skip
        raise UnitError(f"unit {text!r} is not a unit pint knows; write e.g. Wh, kWh, m, km, m/s, deg, h, d") from None


def is_angle_unit(text: str) -> bool:
    """Whether ``text`` names a plane angle (degree, radian, arcminute ...)."""
    unit = _unit(text)
    return any(name in str(unit) for name in _ANGLE_NAMES)


def format_unit(text: str) -> str:
    """A unit in pint's compact notation (``kWh``, ``m ** 2`` -> ``m²``); ``""`` for dimensionless."""
    if text.startswith("dB"):
        return text
    unit = _unit(text)
    return "" if unit.dimensionless and not is_angle_unit(text) else f"{unit:~P}"


def canonical_value(value: Any, unit: str, canonical: str) -> float:
    """``value`` given in ``unit`` expressed in ``canonical`` (a float).

    Parameters
    ----------
    value : float
        The number as given.
    unit : str
        Its unit (``""`` means the canonical unit).
    canonical : str
        The parameter's unit.

    Raises
    ------
    UnitError
        For an unknown unit, a unit of the wrong dimension, or a non-number.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise UnitError(f"{value!r} is not a finite number")
    if canonical.startswith("dB"):  # logarithmic: not a pint conversion; only the same decibel unit is accepted
        if isinstance(unit, str) and unit.strip() in ("", canonical):
            return float(value)
        raise UnitError(f"unit {unit!r} is not accepted; write this decibel quantity in {canonical}")
    given = canonical if (isinstance(unit, str) and unit.strip() == "") else unit
    src, dst = _unit(given), _unit(canonical)
    angle_src, angle_dst = is_angle_unit(given), is_angle_unit(canonical)
    if angle_src != angle_dst or src.dimensionality != dst.dimensionality:
        want = format_unit(canonical) or 'a dimensionless fraction (unit "1")'
        raise UnitError(f"unit {unit!r} has the wrong dimension; give a unit convertible to {want}")
    # 12 significant digits: 8.45 GHz is 8.45e9 Hz, not 8449999999.999999
    return float(f"{registry().Quantity(float(value), src).to(dst).magnitude:.12g}")
