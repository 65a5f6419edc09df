"""Side-by-side run of heat1d 0.3.2 (Hayne et al. 2017's reference code) and lupex's column model at the equator.

heat1d is installed into its own virtual environment in a temporary folder (heat1d==0.3.2, numpy==1.23.5,
planets==0.4.6 and their dependencies; heat1d 0.3.2 needs numpy < 1.24). Its default Moon model is run at
latitude 0 for one lunar day after its own one-year equilibration; lupex then runs the same parameters
(planets.Moon: H = 0.07 m, A0 = 0.12, a = 0.06, b = 0.25, eps = 0.95, S = 1361 W m-2, Qb = 0.018 W m-2,
Hayne et al. 2017 Table A1 properties) with the Sun through the zenith at heat1d's solar distance during the
output day (heat1d starts its orbit at perihelion, so that day lies near perihelion). Both noon and pre-dawn
(minimum night) surface temperatures are printed. This is a validation script, not a test dependency; it
needs the package index. Exit status 1 when heat1d cannot be installed or run.

Run: .venv/bin/python scripts/validate_heat1d.py   (about a minute, most of it pip)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import numpy as np

from lupex.core.thermal import (
    HEAT_CAPACITY_COEFFS,
    albedo_at_incidence,
    initial_profile_K,
    integrate_columns,
    regolith_grid,
    spin_up_columns,
)

PACKAGES = ["heat1d==0.3.2", "numpy==1.23.5", "planets==0.4.6"]
LUNAR_DAY_S = 29.53059 * 86400.0  # planets.Moon.day

HEAT1D_RUN = r"""
import json, numpy as np, heat1d, planets
model = heat1d.Model(planet=planets.Moon, lat=0.0, ndays=1)
model.run()
ts = model.T[:, 0]
lt = model.lt
night = (lt > 6.0) & (lt < 18.0)
noon = int(np.argmin(np.minimum(lt, 24.0 - lt)))
print(json.dumps({
    "noon_K": float(ts[noon]), "noon_lt_h": float(lt[noon]), "predawn_K": float(ts[night].min()),
    "midnight_K": float(np.interp(12.0, lt, ts)), "r_au": float(model.r), "dt_s": float(model.dt),
    "bottom_m": float(model.profile.z[-1]), "n_layers": int(model.profile.z.size),
    "H_m": float(planets.Moon.H), "albedo": float(planets.Moon.albedo),
}))
"""


def run_heat1d() -> dict[str, float] | None:
    with tempfile.TemporaryDirectory(prefix="heat1d-") as tmp:
        env_dir = Path(tmp) / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES], capture_output=True, text=True, check=False
        )
        if install.returncode != 0:
            print(f"could not install {' '.join(PACKAGES)} (is the package index reachable?):", file=sys.stderr)
            print(install.stderr.strip()[-2000:], file=sys.stderr)
            return None
        run = subprocess.run(
            [str(python), "-c", HEAT1D_RUN],
            capture_output=True,
            text=True,
            check=False,
            env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"},
        )
        if run.returncode != 0:
            print("heat1d failed:", run.stderr.strip()[-2000:], file=sys.stderr)
            return None
        result: dict[str, float] = json.loads(run.stdout.strip().splitlines()[-1])
        return result


def run_lupex(r_au: float, h_param_m: float = 0.07, steps_per_day: int = 708) -> dict[str, float]:
    """lupex column at the equator, Sun through the zenith at ``r_au``, heat1d's planets.Moon parameters."""
    grid = regolith_grid(h_param_m, 1100.0, 1800.0, 7.4e-4, 3.4e-3, period_s=LUNAR_DAY_S)
    dt = LUNAR_DAY_S / steps_per_day
    hour_angle = 2.0 * np.pi * np.arange(1, steps_per_day + 1) / steps_per_day  # noon at the last step
    cos_i = np.cos(hour_angle)
    incidence = np.arccos(np.clip(cos_i, -1.0, 1.0))
    albedo = np.array([albedo_at_incidence(float(i), 0.12, 0.06, 0.25) for i in incidence])
    flux = np.where(cos_i > 0.0, 1361.0 / r_au**2 * (1.0 - albedo) * cos_i, 0.0)[None, :]
    state = initial_profile_K(flux.mean(axis=1), grid, 0.95, 0.018, 2.7)
    spin_up_columns(state, flux, dt, grid, 0.95, 0.018, 2.7, passes=6, heat_capacity_coeffs=HEAT_CAPACITY_COEFFS)
    stats = integrate_columns(state, flux, dt, grid, 0.95, 0.018, 2.7, series=True)
    assert stats.t_surface_series_K is not None
    ts = stats.t_surface_series_K[0]
    local_time_h = 24.0 * np.arange(1, steps_per_day + 1) / steps_per_day
    night = (local_time_h > 6.0) & (local_time_h < 18.0)
    return {
        "noon_K": float(ts[-1]),
        "predawn_K": float(ts[night].min()),
        "midnight_K": float(ts[steps_per_day // 2 - 1]),
        "dt_s": dt,
        "bottom_m": float(grid.z_m[-1]),
        "n_layers": int(grid.z_m.size),
    }


def main() -> int:
    theirs = run_heat1d()
    if theirs is None:
        return 1
    ours = run_lupex(theirs["r_au"], theirs["H_m"])
    print(f"heat1d 0.3.2 default Moon run at the equator (H = {theirs['H_m']} m, A0 = {theirs['albedo']}, ", end="")
    print(f"r = {theirs['r_au']:.5f} au during the output day)")
    print("| model | noon [K] | midnight [K] | pre-dawn minimum [K] | layers | bottom [m] | step [s] |")
    print("|---|---|---|---|---|---|---|")
    for name, res in (("heat1d 0.3.2", theirs), ("lupex", ours)):
        print(
            f"| {name} | {res['noon_K']:.2f} | {res['midnight_K']:.2f} | {res['predawn_K']:.2f} | "
            f"{res['n_layers']} | {res['bottom_m']:.2f} | {res['dt_s']:.0f} |"
        )
    print(
        f"differences (lupex - heat1d): noon {ours['noon_K'] - theirs['noon_K']:+.2f} K, "
        f"pre-dawn {ours['predawn_K'] - theirs['predawn_K']:+.2f} K"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
