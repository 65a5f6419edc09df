"""Checks of command-line values shared by the ``lupex`` commands: each error names the flag the user typed."""

from __future__ import annotations

import math
from pathlib import Path

from lupex.errors import InputError

__all__ = ["check_number", "check_out_dir", "check_out_file", "check_thermal_step", "psr_years_option"]


def check_number(
    flag: str,
    value: float,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    hint: str,
    api: str | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Refuse a NaN, infinite or out-of-range number typed on the command line, naming its flag.

    Parameters
    ----------
    flag : str
        The option as the user typed it, e.g. ``"--height-m"``.
    value : float
        The parsed value.
    low, high : float
        Accepted bounds (infinite for none).
    hint : str
        How to fix it, e.g. ``"give the observer height above the terrain in metres"``.
    api : str, optional
        The matching argument of the Python API, named at the end of the message.
    low_open, high_open : bool
        Exclude the bound itself.

    Raises
    ------
    InputError
        ``--FLAG VALUE is outside [LOW, HIGH]; HINT``.
    """
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    tail = f"; {hint}" + (f" ({api} in the Python API)" if api else "")
    if not math.isfinite(value):
        raise InputError(f"{flag} {shown} is not a finite number{tail}")
    if (value <= low if low_open else value < low) or (value >= high if high_open else value > high):
        if math.isinf(high):
            accepted = f"must be {'>' if low_open else '>='} {low:g}"
        else:
            accepted = f"is outside {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise InputError(f"{flag} {shown} {accepted}{tail}")
    return float(value)


def psr_years_option(value: float, zero_means: str) -> float | None:
    """``--psr-years``: 0 means the statistics period itself (None); otherwise 0.1 to 100 years."""
    if value == 0:
        return None
    if not (math.isfinite(value) and 0.1 <= value <= 100.0):
        raise InputError(
            f"--psr-years {value:g} is not accepted; give 0 ({zero_means}) or 0.1..100 years "
            "(18.6 = a full precession cycle)"
        )
    return float(value)


def _blocking_parent(flag: str, path: Path) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{flag} {str(path)!r}: {str(parent)!r} is a file, not a folder; choose another path")
            return


def check_out_file(flag: str, path: Path, example: str) -> None:
    """Refuse an output FILE path that names an existing folder or lies below a file (names the flag)."""
    if path.is_dir():
        raise InputError(f"{flag} {str(path)!r} is a folder; give a file name, e.g. {str(path / example)!r}")
    _blocking_parent(flag, path)


def check_out_dir(flag: str, path: Path) -> None:
    """Refuse an output FOLDER path that names an existing file or lies below a file (names the flag)."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {str(path)!r} is a file; give a folder (it is created if missing)")
    _blocking_parent(flag, path)


def check_thermal_step(thermal_step: str, start: str, end: str) -> None:
    """``--thermal-step``: at most 6 h (the surface responds within hours) and a valid period at that step."""
    from lupex.ephemeris import parse_duration_s, time_range

    if parse_duration_s(thermal_step, "--thermal-step") > 6 * 3600.0:
        raise InputError(
            f"--thermal-step {thermal_step!r} is too coarse for the surface temperature; use at most 6h (1h is typical)"
        )
    time_range(start, end, thermal_step, names=("--start", "--end", "--thermal-step"))
