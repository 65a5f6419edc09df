"""Landing dispersion Monte Carlo: calibration of the 3-sigma ellipse, p_safe limits, reproducibility, CLI.

Calibration: with only a Gaussian TRN error of known sigma per axis and otherwise perfect guidance, touchdowns
are the target minus that error (plus a guidance residual of centimetres), a 2-D Gaussian; the Mahalanobis
3-sigma ellipse holds 1 - exp(-9/2) = 0.98889 of it (chi-square, 2 dof).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import lupex.cli.flight_dispersion  # noqa: F401  (registers the commands)
from lupex.cli.main import main
from lupex.errors import InputError
from lupex.flight.dispersion import DispersionErrors, landing_dispersion
from lupex.terrain import builtin_dem, xy_to_latlon
from lupex.terrain.synthetic import flat_plane, tilted_plane

NAV_ONLY = DispersionErrors(
    nav_sigma_m=20.0, thrust_sigma_frac=0.0, isp_sigma_frac=0.0, position_sigma_m=0.0, velocity_sigma_m_s=0.0
)
P_IN = 1.0 - math.exp(-4.5)
CENTRE = (0.0, 10_000.0)


@pytest.fixture(scope="module")
def flat():
    return flat_plane(200, 10.0)


def _site() -> tuple[float, float]:
    lat, lon = xy_to_latlon(*CENTRE)
    return float(lat), float(lon)


def test_ellipse_coverage_is_calibrated_over_seeds(flat) -> None:
    n, seeds = 2000, range(5)
    results = [landing_dispersion(flat, *_site(), runs=n, seed=s, errors=NAV_ONLY) for s in seeds]
    sd = math.sqrt(P_IN * (1 - P_IN) / n)
    inside = []
    for k, r in enumerate(results):
        # in-sample coverage within 4 binomial sd per seed
        cover = float(r.inside_ellipse(r.x_m, r.y_m).mean())
        assert abs(cover - P_IN) <= 4 * sd
        # predictive: the ellipse of one seed on the next seed's touchdowns (covariance sampling adds ~1 sd)
        nxt = results[(k + 1) % len(results)]
        inside.append(float(r.inside_ellipse(nxt.x_m, nxt.y_m).mean()))
        # semi-axes ~ 3 sigma = 60 m: relative sd of a sample sd is 1/sqrt(2n) = 1.6 %, allow 4 sd
        assert r.semi_major_m == pytest.approx(60.0, rel=0.065)
        assert r.semi_minor_m == pytest.approx(60.0, rel=0.065)
    assert abs(np.mean(inside) - P_IN) <= 4 * sd / math.sqrt(len(inside)) + 0.002


def test_p_safe_is_one_on_flat_and_zero_on_steep_ground(flat) -> None:
    ok = landing_dispersion(flat, *_site(), runs=300, seed=1)
    assert ok.p_safe == 1.0 and ok.landed.all()
    # Wilson interval of 300 of 300: [n / (n + z^2), 1] = [0.98736, 1]
    assert ok.p_safe_high == 1.0 and ok.p_safe_low == pytest.approx(300 / (300 + 1.96**2), abs=1e-4)
    steep = landing_dispersion(tilted_plane(200, 10.0, 20.0), *_site(), runs=300, seed=1)
    assert steep.p_safe == 0.0 and steep.p_safe_low == 0.0
    assert np.all(steep.slope_deg == pytest.approx(20.0, abs=0.01))


def test_touchdowns_meet_speed_limits_with_default_errors(flat) -> None:
    r = landing_dispersion(flat, *_site(), runs=500, seed=3)
    assert r.v_vertical_m_s.max() <= 2.0 and r.v_horizontal_m_s.max() <= 0.5


def test_seeded_runs_are_reproducible(flat) -> None:
    a = landing_dispersion(flat, *_site(), runs=100, seed=7)
    b = landing_dispersion(flat, *_site(), runs=100, seed=7)
    c = landing_dispersion(flat, *_site(), runs=100, seed=8)
    np.testing.assert_array_equal(a.x_m, b.x_m)
    np.testing.assert_array_equal(a.v_vertical_m_s, b.v_vertical_m_s)
    assert not np.array_equal(a.x_m, c.x_m)


def test_refusals_name_the_argument(flat) -> None:
    with pytest.raises(InputError, match=r"^runs 0"):
        landing_dispersion(flat, *_site(), runs=0, seed=0)
    with pytest.raises(InputError, match="site_lat_deg"):
        landing_dispersion(flat, -80.0, 0.0, runs=10, seed=0)
    bad = DispersionErrors(-1.0, 0.0, 0.0, 0.0, 0.0)
    with pytest.raises(InputError, match=r"errors\.nav_sigma_m"):
        landing_dispersion(flat, *_site(), runs=10, seed=0, errors=bad)


def test_builtin_ridge_site_runs() -> None:
    r = landing_dispersion(builtin_dem("connecting_ridge_10m"), -89.45, 222.5, runs=200, seed=0)
    assert 0.0 <= r.p_safe <= 1.0 and np.isfinite(r.slope_deg).all()


def test_cli_dispersion_and_profile(tmp_path, capsys) -> None:
    out = tmp_path / "d"
    assert (
        main(["flight", "dispersion", "chandrayaan5", "--runs", "50", "--seed", "2", "--out", str(out), "--json"]) == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert 0.0 <= summary["p_safe"] <= 1.0
    for name in ("touchdowns.csv", "ellipse.geojson", "dispersion.png"):
        assert (out / name).is_file()
    header = (out / "touchdowns.csv").read_text().splitlines()[0]
    assert header == "x_m,y_m,lat_deg,lon_deg,v_vertical_m_s,v_horizontal_m_s,slope_deg,safe"
    assert "crs_note" in json.loads((out / "ellipse.geojson").read_text())
    assert main(["flight", "dispersion", "--runs", "0", "--out", str(out)]) == 1
    assert "--runs" in capsys.readouterr().err
    assert main(["flight", "profile", "--out", str(tmp_path / "p"), "--json"]) == 0
    phases = json.loads(capsys.readouterr().out)["phases"]
    assert phases[0]["phase"] == "rough_braking"
    assert "altitude_m" in (tmp_path / "p" / "profile.csv").read_text().splitlines()[0]
