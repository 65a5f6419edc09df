"""The rover's battery as an energy ledger: every joule in, out, spilled at full charge or short at empty.

Closure: ``sum(in) - sum(out) - sum(spilled) + sum(short) == stored(end) - stored(start)``; the campaign reports
the error of that identity computed from the independent sums (it is round-off, ~1e-9 Wh, unless a piece of code
changes the charge outside :meth:`Battery.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass

from lupex.errors import InputError

__all__ = ["Battery", "EnergyStep"]


@dataclass(frozen=True)
class EnergyStep:
    """What one interval did to the battery [Wh]: net change, harvested, drawn, spilled, short."""

    net_Wh: float
    in_Wh: float
    out_Wh: float
    spilled_Wh: float
    short_Wh: float


class Battery:
    """Stored energy between 0 and a capacity that may fade linearly with time.

    Parameters
    ----------
    capacity_Wh : float
        Capacity at the start [Wh].
    stored_Wh : float
        Charge at the start [Wh].
    reserve_fraction : float
        Reserve as a fraction of the (current) capacity [1].
    end_capacity_factor : float
        Capacity at ``fade_duration_h`` over the start capacity (1: no fade) [1].
    fade_duration_h : float
        Time over which the fade happens [h].
    """

    def __init__(
        self,
        capacity_Wh: float,
        stored_Wh: float,
        reserve_fraction: float,
        *,
        end_capacity_factor: float = 1.0,
        fade_duration_h: float = 2400.0,
    ) -> None:
        if not (capacity_Wh > 0 and 0 <= stored_Wh <= capacity_Wh and 0 <= reserve_fraction < 1):
            raise InputError(
                f"battery: need capacity > 0, 0 <= stored <= capacity and reserve in [0, 1); got {capacity_Wh}, "
                f"{stored_Wh}, {reserve_fraction}"
            )
        self.capacity0_Wh = float(capacity_Wh)
        self.stored_Wh = float(stored_Wh)
        self.start_Wh = float(stored_Wh)
        self.reserve_fraction = float(reserve_fraction)
        self.end_factor = float(end_capacity_factor)
        self.fade_h = max(float(fade_duration_h), 1e-9)
        self.in_Wh = self.out_Wh = self.spilled_Wh = self.short_Wh = 0.0

    def capacity_Wh(self, t_h: float) -> float:
        """Capacity at mission time ``t_h`` [Wh] (linear fade, held after the fade duration)."""
        frac = min(max(t_h / self.fade_h, 0.0), 1.0)
        return self.capacity0_Wh * (1.0 + (self.end_factor - 1.0) * frac)

    def reserve_Wh(self, t_h: float) -> float:
        """The reserve at mission time ``t_h`` [Wh]."""
        return self.reserve_fraction * self.capacity_Wh(t_h)

    def apply(self, power_in_W: float, power_out_W: float, duration_s: float, t_end_h: float) -> EnergyStep:
        """Charge with ``power_in_W`` and draw ``power_out_W`` for ``duration_s`` ending at ``t_end_h``.

        A charge above the capacity is spilled (the array is curtailed); a draw below zero is short (the rover
        browns out; the campaign treats it as the loss of the rover).
        """
        e_in = max(power_in_W, 0.0) * duration_s / 3600.0
        e_out = max(power_out_W, 0.0) * duration_s / 3600.0
        before = self.stored_Wh
        raw = before + e_in - e_out
        cap = self.capacity_Wh(t_end_h)
        self.stored_Wh = min(max(raw, 0.0), cap)
        spilled = max(raw - cap, 0.0)  # a full battery curtails the array; a fading one loses the excess
        short = max(-raw, 0.0)
        self.in_Wh += e_in
        self.out_Wh += e_out
        self.spilled_Wh += spilled
        self.short_Wh += short
        return EnergyStep(self.stored_Wh - before, e_in, e_out, spilled, short)

    @property
    def closure_error_Wh(self) -> float:
        """``(in - out - spilled + short) - (stored - start)`` from the independent sums [Wh]."""
        return (self.in_Wh - self.out_Wh - self.spilled_Wh + self.short_Wh) - (self.stored_Wh - self.start_Wh)
