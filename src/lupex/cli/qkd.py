"""``lupex qkd``: quantum key distribution key rates and the Earth-Moon verdict."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer
from numpy.typing import NDArray
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lupex.cli.options import check_number, check_out_file
from lupex.defaults import default
from lupex.errors import InputError

if TYPE_CHECKING:
    from lupex.comms.qkd import KeyRateCurve, LinkVerdict, QkdDevice

qkd_app = typer.Typer(help="Quantum key distribution: key rate against distance or loss, and link verdicts.",
                      no_args_is_help=True)  # fmt: skip


def _console() -> Console:
    return Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 140)


def _check_choice(flag: str, value: str, known: tuple[str, ...], what: str) -> str:
    if value not in known:
        raise InputError(f"{flag} {value!r} is not a known {what}; choose one of {', '.join(known)}")
    return value


def parse_range(flag: str, text: str, example: str) -> NDArray[np.float64]:
    """Values of a ``START:STOP:STEP`` option (STOP included when on the grid) or of a single number.

    The number of points is counted, and refused above ``qkd_max_curve_points``, before anything is allocated.

    Raises
    ------
    InputError
        Malformed text, negative or non-finite numbers, a step <= 0, STOP below START, or too many points; the
        message names ``flag``.
    """
    parts = text.split(":")
    if len(parts) not in (1, 3):
        raise InputError(f"{flag} {text!r} is not START:STOP:STEP or a number; give e.g. {example}")
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise InputError(f"{flag} {text!r} is not START:STOP:STEP or a number; give e.g. {example}") from None
    if not all(math.isfinite(x) and x >= 0.0 for x in numbers):
        raise InputError(f"{flag} {text!r} holds a negative or non-finite number; give values >= 0, e.g. {example}")
    if len(numbers) == 1:
        return np.array(numbers, dtype=np.float64)
    start, stop, step = numbers
    if step <= 0.0:
        raise InputError(f"{flag} {text!r} has step {step:g}; give a step > 0, e.g. {example}")
    if stop < start:
        raise InputError(f"{flag} {text!r} is empty: STOP {stop:g} is below START {start:g}; give e.g. {example}")
    count = math.floor((stop - start) / step + 1e-9) + 1
    limit = int(default("qkd_max_curve_points"))
    if count > limit:
        raise InputError(f"{flag} {text!r} has {count:,} points, more than {limit:,}; use a larger step")
    return start + step * np.arange(count, dtype=np.float64)


def _device(preset: str, qber: float | None, efficiency: float | None, dark_count: float | None) -> QkdDevice:
    """The preset's device with the command-line overrides (each checked against its flag)."""
    from dataclasses import replace

    from lupex.comms.qkd import qkd_preset

    changes: dict[str, float] = {}
    if qber is not None:
        changes["misalignment_error"] = check_number(
            "--qber",
            qber,
            0.0,
            1.0,
            hint="give the intrinsic error rate e_det as a fraction, e.g. 0.033",
            api="misalignment_error",
        )
    if efficiency is not None:
        changes["detector_efficiency"] = check_number(
            "--detector-efficiency",
            efficiency,
            0.0,
            1.0,
            low_open=True,
            hint="give eta_Bob as a fraction, e.g. 0.045",
            api="detector_efficiency",
        )
    if dark_count is not None:
        changes["dark_count_probability"] = check_number(
            "--dark-count",
            dark_count,
            0.0,
            1.0,
            high_open=True,
            hint="give Y0 per pulse as a probability, e.g. 1.7e-6",
            api="dark_count_probability",
        )
    return replace(qkd_preset(preset).device, **changes)


def curve_png(curve: KeyRateCurve) -> bytes:
    """PNG (matplotlib Agg) of the key rate [bit/s] against distance or channel loss, with the cutoff marked."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    by_distance = curve.distance_km is not None
    x = curve.distance_km if curve.distance_km is not None else curve.loss_db
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    rates = curve.key_rate_bps
    positive = rates > 0.0
    if positive.any():
        ax.semilogy(x[positive], rates[positive], "o-", ms=2.5, lw=1.2, label=curve.protocol)
    else:
        ax.plot(x, rates, "o-", ms=2.5, lw=1.2, label=f"{curve.protocol}: no key")
    mark = curve.cutoff_km if by_distance else curve.max_loss_db
    if mark is not None and float(np.min(x)) <= mark <= float(np.max(x)):
        ax.axvline(mark, color="0.4", ls="--", lw=1.0, label=f"cutoff {mark:.1f} {'km' if by_distance else 'dB'}")
    ax.set_xlabel("distance [km]" if by_distance else "channel loss [dB]")
    ax.set_ylabel("secure key rate [bit/s]")
    ax.set_title(f"QKD key rate, preset {curve.preset} (asymptotic, mu optimised)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _curve_table(curve: KeyRateCurve) -> Table:
    table = Table(title=f"QKD key rate: preset {curve.preset}, protocol {curve.protocol}", title_justify="left")
    for column in ("distance [km]", "loss [dB]", "key [bit/pulse]", "key [bit/s]", "mu_opt"):
        table.add_column(escape(column), justify="right")
    for row in curve.rows():
        distance, mu = row["distance_km"], row["mu_opt"]
        table.add_row(
            "-" if distance is None else f"{distance:g}",
            f"{row['loss_db']:.2f}",
            f"{row['key_rate_per_pulse']:.3e}",
            f"{row['key_rate_bps']:.3e}",
            "-" if mu is None else f"{mu:.3f}",
        )
    return table


def _curve_summary(curve: KeyRateCurve) -> str:
    cutoff = "none in the channel's range" if curve.cutoff_km is None else f"{curve.cutoff_km:.1f} km"
    limit = "none" if curve.max_loss_db is None else f"{curve.max_loss_db:.2f} dB"
    text = f"cutoff distance: {cutoff}; largest tolerable channel loss: {limit}"
    if curve.estimated_parameters:
        text += f"\nestimated preset values: {', '.join(curve.estimated_parameters)}"
    return text


@qkd_app.command("rate")
def qkd_rate(
    preset: Annotated[str, typer.Option("--preset", help="gys, isro-300m or micius.")] = "gys",
    protocol: Annotated[
        str, typer.Option("--protocol", help="bb84-decoy, bb84-infinite, bb84-gllp or bbm92.")
    ] = "bb84-decoy",
    distance_km: Annotated[
        str | None, typer.Option("--distance-km", help="START:STOP:STEP [km] (slant range for micius).")
    ] = None,
    loss_db: Annotated[str | None, typer.Option("--loss-db", help="START:STOP:STEP channel loss [dB].")] = None,
    qber: Annotated[float | None, typer.Option("--qber", help="Intrinsic error rate e_det, 0..1.")] = None,
    detector_efficiency: Annotated[
        float | None, typer.Option("--detector-efficiency", help="Receiver efficiency eta_Bob, 0..1.")
    ] = None,
    dark_count: Annotated[float | None, typer.Option("--dark-count", help="Dark counts Y0 per pulse, 0..1.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print {preset, protocol, rows, cutoff_km, ...}.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of key rate against x.")] = None,
) -> None:
    """Secure key rate (per pulse and per second) and optimal intensity against distance or channel loss."""
    from lupex.comms.qkd import PRESETS, PROTOCOLS, key_rate_curve
    from lupex.io.tables import write_bytes

    _check_choice("--preset", preset, tuple(PRESETS), "preset")
    _check_choice("--protocol", protocol, PROTOCOLS, "protocol")
    if distance_km is not None and loss_db is not None:
        raise InputError("--distance-km and --loss-db were both given; give one of them")
    device = _device(preset, qber, detector_efficiency, dark_count)
    if plot is not None:
        check_out_file("--plot", plot, "key_rate.png")
    distances = None if distance_km is None else parse_range("--distance-km", distance_km, "0:200:5")
    losses = None if loss_db is None else parse_range("--loss-db", loss_db, "0:50:1")
    try:
        curve = key_rate_curve(preset, protocol, distance_km=distances, loss_db=losses, device=device)
    except InputError as err:
        if distances is None:
            raise
        raise InputError(f"--distance-km {distance_km!r}: {err}") from None
    if plot is not None:
        write_bytes(curve_png(curve), plot)
    if as_json:
        sys.stdout.write(json.dumps(curve.as_dict(), indent=2, allow_nan=False) + "\n")
        return
    console = _console()
    console.print(_curve_table(curve))
    console.print(_curve_summary(curve))


def _verdict_table(verdict: LinkVerdict) -> Table:
    table = Table(title="Earth-Moon QKD link", title_justify="left", show_header=False)
    table.add_row("distance", f"{verdict.distance_km:,.0f} km")
    table.add_row(
        "optics", f"{verdict.tx_aperture_m:g} m -> {verdict.rx_aperture_m:g} m at {verdict.wavelength_nm:g} nm"
    )
    table.add_row("geometric loss", f"{verdict.geometric_loss_db:.2f} dB (diffraction-limited)")
    table.add_row("link loss", f"{verdict.link_loss_db:.2f} dB")
    limit = "no key at any loss" if verdict.max_loss_db is None else f"{verdict.max_loss_db:.2f} dB"
    table.add_row(f"max tolerable loss ({verdict.protocol}, {verdict.preset})", limit)
    if verdict.margin_db is not None:
        table.add_row("margin", f"{verdict.margin_db:+.2f} dB")
    table.add_row("closes", "yes" if verdict.closes else "no")
    return table


@qkd_app.command("earth-moon")
def qkd_earth_moon(
    wavelength_nm: Annotated[float, typer.Option("--wavelength-nm", help="Wavelength [nm].")] = default(
        "qkd_earth_moon_wavelength_nm"
    ),
    tx_aperture_m: Annotated[float, typer.Option("--tx-aperture-m", help="Transmit aperture [m].")] = default(
        "qkd_earth_moon_tx_aperture_m"
    ),
    rx_aperture_m: Annotated[float, typer.Option("--rx-aperture-m", help="Receive aperture [m].")] = default(
        "qkd_earth_moon_rx_aperture_m"
    ),
    distance_km: Annotated[float, typer.Option("--distance-km", help="Link length [km].")] = default(
        "qkd_earth_moon_distance_km"
    ),
    extra_loss_db: Annotated[
        float, typer.Option("--extra-loss-db", help="Atmosphere, pointing and optics losses [dB].")
    ] = 0.0,
    preset: Annotated[str, typer.Option("--preset", help="Receiver (detector) parameters.")] = "micius",
    protocol: Annotated[str, typer.Option("--protocol", help="Protocol whose loss limit applies.")] = "bb84-infinite",
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
) -> None:
    """Geometric loss of a direct Earth-Moon link against the protocol's loss limit, and what would close it."""
    from lupex.comms.qkd import PRESETS, PROTOCOLS, earth_moon_verdict

    check_number("--wavelength-nm", wavelength_nm, 0.0, 1e6, low_open=True, hint="give the wavelength in nm, e.g. 850")
    check_number("--tx-aperture-m", tx_aperture_m, 0.0, 1e3, low_open=True, hint="give a diameter in m, e.g. 0.3")
    check_number("--rx-aperture-m", rx_aperture_m, 0.0, 1e3, low_open=True, hint="give a diameter in m, e.g. 1.0")
    check_number("--distance-km", distance_km, 0.0, 1e10, low_open=True, hint="give the length in km, e.g. 384400")
    check_number("--extra-loss-db", extra_loss_db, 0.0, 1000.0, hint="give other losses in dB, e.g. 3")
    _check_choice("--preset", preset, tuple(PRESETS), "preset")
    _check_choice("--protocol", protocol, PROTOCOLS, "protocol")
    verdict = earth_moon_verdict(
        wavelength_nm,
        tx_aperture_m,
        rx_aperture_m,
        distance_km=distance_km,
        preset=preset,
        protocol=protocol,
        extra_loss_db=extra_loss_db,
    )
    if as_json:
        data: dict[str, Any] = verdict.as_dict()
        sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
        return
    console = _console()
    console.print(_verdict_table(verdict))
    console.print(verdict.verdict)
