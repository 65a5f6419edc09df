"""The figure of a parameter sweep (``lupex sweep``): each headline number against the first swept parameter."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lupex.reporting.figures import _figure, _png

__all__ = ["sweep_png"]

#: Okabe-Ito colours (colour-blind safe), one per line.
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Most lines drawn per panel (further values of the other parameters are left out, and the legend says so).
_MAX_LINES = 12


def _number(value: Any) -> float | None:
    """A finite float, or None for a missing, non-numeric or non-finite value."""
    if value is None or isinstance(value, bool | str):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _with_unit(name: str, units: Mapping[str, str]) -> str:
    unit = units.get(name, "")
    return f"{name} [{unit}]" if unit and unit != "1" and f"_{unit}" not in name else name


def _series(rows: Sequence[Mapping[str, Any]], x: str, by: Sequence[str]) -> dict[tuple[Any, ...], list[int]]:
    """Row indices per combination of the ``by`` values, each sorted by ``x``; in order of first appearance."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, row in enumerate(rows):
        groups.setdefault(tuple(row.get(k) for k in by), []).append(i)
    for indices in groups.values():
        indices.sort(key=lambda i: _number(rows[i].get(x)) or 0.0)
    return groups


def sweep_png(
    rows: Sequence[Mapping[str, Any]],
    x: str,
    metrics: Sequence[str],
    *,
    by: Sequence[str] = (),
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "",
) -> bytes:
    """Each metric against the parameter ``x``, one panel per metric, one line per value of the ``by`` parameters.

    Parameters
    ----------
    rows
        One mapping per sweep point with the ``x``, ``by`` and ``metrics`` values (numbers; None or non-finite
        values are left out of the lines).
    x
        The first swept parameter (x axis), e.g. ``rover.battery_Wh``.
    metrics
        Columns to plot, one panel each, e.g. ``p_success``, ``driven_km``.
    by
        The other swept parameters: one line per combination of their values (the second parameter's values
        when there are two); at most 12 lines per panel.
    units
        Unit of each column (x axis label; ``1`` for a fraction is not shown).
    labels
        Panel titles by metric (default the metric's column name).
    title
        Figure title.

    Returns
    -------
    bytes
        The PNG image.
    """
    units = units or {}
    labels = labels or {}
    groups = _series(rows, x, by)
    shown = list(groups.items())[:_MAX_LINES]
    n = max(len(metrics), 1)
    ncols = min(n, 2 if n <= 4 else 3)
    nrows = -(-n // ncols)
    fig = _figure(figsize=(4.2 * ncols + 0.6, 3.0 * nrows + 0.8))
    fig.suptitle(title, fontsize=9)
    for k, metric in enumerate(metrics):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        for j, (key, indices) in enumerate(shown):
            points = [(_number(rows[i].get(x)), _number(rows[i].get(metric))) for i in indices]
            xs = [a for a, b in points if a is not None and b is not None]
            ys = [b for a, b in points if a is not None and b is not None]
            label = ", ".join(f"{name} = {value:g}" for name, value in zip(by, key, strict=True)) or None
            ax.plot(xs, ys, marker="o", ms=4, lw=1.4, color=_COLOURS[j % len(_COLOURS)], label=label)
        ax.set_xlabel(_with_unit(x, units), fontsize=8)
        ax.set_title(labels.get(metric, metric), fontsize=8)
        if units.get(metric) == "1":  # a fraction or probability: its whole range
            ax.set_ylim(-0.03, 1.03)
        ax.tick_params(labelsize=7)
        ax.grid(True, lw=0.3, alpha=0.5)
        if k == 0 and by:
            more = len(groups) - len(shown)
            ax.legend(fontsize=6, title=f"{more} more not drawn" if more > 0 else None, title_fontsize=6)
    fig.tight_layout()
    return _png(fig)
