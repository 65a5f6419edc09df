"""Point thermal model (lupex.thermal.point_temperature) with the real ephemeris.

Each test names its reference. Tolerances are in kelvin (``one_K``).
"""

from __future__ import annotations

import numpy as np
import pytest

from lupex.constants import AU_KM
from lupex.ephemeris import Site, sun_position, time_range
from lupex.errors import EphemerisRangeError, InputError
from lupex.thermal import absorbed_flux_W_m2, point_temperature
from lupex.thermal.point import MAX_INTERNAL_STEP_S
from tests.conftest import one_K

#: Hayne et al. 2017 Table A2 tolerance (the paper's).
TABLE_A2_TOL = 5.0 * one_K
SPINUP_TOL = 0.5 * one_K

# a lunation around the March 2028 equinox: the Sun within 1.6 deg of the lunar equator, at 0.996 au
START, END = "2028-03-05", "2028-04-04"


@pytest.fixture(scope="module")
def equator():
    return point_temperature(0.0, 0.0, START, END, "1h")


def test_equator_real_ephemeris_matches_hayne_2017_table_a2(equator):
    """Hayne et al. 2017 Table A2 (equator, A0 = 0.12): peak noon 385 K, midnight 101 K, minimum night 95 K,
    +-5 K. With the real Sun the noon value is about 1 K higher than the idealised run (the Sun at ~0.995 au
    in March gives ~1 % more flux, +0.25 % in T), the Sun passes up to 1.6 deg from the zenith (cos = 0.9996,
    negligible), and the night is a real lunation's (29.3-29.8 d) rather than the mean."""
    sun = sun_position(0.0, 0.0, equator.time_utc)
    noon = int(np.argmax(sun.elevation_deg))
    midnight = int(np.argmin(sun.elevation_deg))
    assert equator.t_surface_K[noon] == pytest.approx(385.0, abs=TABLE_A2_TOL)
    assert equator.t_max_K == pytest.approx(385.0, abs=TABLE_A2_TOL)
    assert equator.t_surface_K[midnight] == pytest.approx(101.0, abs=TABLE_A2_TOL)
    assert equator.t_min_K == pytest.approx(95.0, abs=TABLE_A2_TOL)
    # the night minimum comes just before sunrise
    dark = sun.elevation_deg < 0
    assert equator.t_surface_K[dark].min() == pytest.approx(equator.t_min_K, abs=0.2 * one_K)


def test_flux_is_direct_insolation(equator):
    """Closed form at noon on flat ground: S0 (1 au / r)^2 (1 - A(i)) cos i with A = 0.12 + 0.06 (i/45)^3 +
    0.25 (i/90)^8 (Hayne et al. 2017 Eq. A5), and zero at night."""
    sun = sun_position(0.0, 0.0, equator.time_utc)
    noon = int(np.argmax(sun.elevation_deg))
    i = np.radians(90.0 - sun.elevation_deg[noon])
    albedo = 0.12 + 0.06 * (i / (np.pi / 4)) ** 3 + 0.25 * (i / (np.pi / 2)) ** 8
    expected = 1361.0 * (AU_KM / sun.distance_km[noon]) ** 2 * (1.0 - albedo) * np.cos(i)
    assert equator.absorbed_W_m2[noon] == pytest.approx(expected, rel=1e-9)
    assert np.all(equator.absorbed_W_m2[sun.elevation_deg < -0.3] == 0.0)


def test_tilted_plane_equals_the_latitude_its_normal_points_to():
    """A 60 deg slope facing north at 60 S has its normal along the local vertical of (0 N, same longitude): while
    the Sun is above the horizontal plane at 60 S it receives the same direct sunlight as flat ground on the
    equator (classic equivalence, e.g. Duffie & Beckman, Solar Engineering of Thermal Processes, 1.7), so by day
    both temperatures agree. (With the Sun ~1 deg north of the lunar equator it sets there ~3 h earlier, so the
    first night hours differ.)"""
    flat = point_temperature(0.0, 30.0, START, "2028-03-20", "2h", spinup_lunations=2)
    tilted = point_temperature(
        -60.0, 30.0, START, "2028-03-20", "2h", slope_deg=60.0, aspect_deg=0.0, spinup_lunations=2
    )
    day = sun_position(-60.0, 30.0, flat.time_utc).elevation_deg > 1.0
    assert day.sum() > 50
    np.testing.assert_allclose(tilted.t_surface_K[day], flat.t_surface_K[day], atol=0.5 * one_K)
    assert tilted.t_max_K == pytest.approx(flat.t_max_K, abs=0.5 * one_K)


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.0), (-89.45, 222.5)])
def test_spin_up_length_does_not_change_the_period(lat, lon):
    """13 and 26 lunations of spin-up give the same surface series within 0.5 K (converged spin-up), at the
    equator and on the connecting ridge near the south pole (where the season matters)."""
    a = point_temperature(lat, lon, "2028-01-01", "2028-01-20", "2h", spinup_lunations=13)
    b = point_temperature(lat, lon, "2028-01-01", "2028-01-20", "2h", spinup_lunations=26)
    np.testing.assert_allclose(a.t_surface_K, b.t_surface_K, atol=SPINUP_TOL)
    assert a.t_min_K == pytest.approx(b.t_min_K, abs=SPINUP_TOL)
    assert a.depth_summary([0.1])[0]["t_mean_K"] == pytest.approx(b.depth_summary([0.1])[0]["t_mean_K"], abs=SPINUP_TOL)


def test_output_step_longer_than_model_step_is_subsampled():
    """A 6 h output step runs the model hourly: the series is the hourly run's every sixth value."""
    hourly = point_temperature(-85.0, 10.0, "2028-02-01", "2028-02-03", "1h", spinup_lunations=2)
    six = point_temperature(-85.0, 10.0, "2028-02-01", "2028-02-03", "6h", spinup_lunations=2)
    assert six.internal_step_s == MAX_INTERNAL_STEP_S and six.step_s == 6 * 3600.0
    np.testing.assert_allclose(six.t_surface_K, hourly.t_surface_K[::6], atol=1e-9)
    assert six.time_utc.dtype == np.dtype("datetime64[ns]") and six.time_utc.size == 9


def test_result_reports_parameters_and_placeholders(equator):
    p = equator.parameters
    assert p["albedo_normal"] == 0.12 and p["h_parameter_m"] == 0.06 and p["solar_constant_W_m2"] == 1361.0
    assert equator.placeholder_defaults == ()  # every thermal default is a published value
    assert equator.depth_m[0] == 0.0 and equator.depth_m[-1] >= 2.5
    assert np.all(equator.t_depth_max_K >= equator.t_depth_mean_K)
    assert equator.t_min_K <= equator.t_mean_K <= equator.t_max_K
    summary = equator.summary()
    assert summary["t_max_K"] == pytest.approx(equator.t_max_K, abs=1e-3)
    assert [row["depth_m"] for row in summary["depths"]][:3] == [0.0, 0.02, 0.05]
    custom = point_temperature(
        0.0, 0.0, "2028-03-05", "2028-03-06", "1h", albedo=0.07, h_param_m=0.07, spinup_lunations=1
    )
    assert custom.parameters["albedo_normal"] == 0.07 and custom.parameters["h_parameter_m"] == 0.07


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"lat_deg": 95.0}, "lat_deg"),
        ({"lat_deg": float("nan")}, "lat_deg"),
        ({"slope_deg": 90.0}, "slope_deg"),
        ({"slope_deg": -1.0}, "slope_deg"),
        ({"albedo": 1.0}, "albedo"),
        ({"albedo": -0.1}, "albedo"),
        ({"h_param_m": 0.0}, "h_param_m"),
        ({"spinup_lunations": 0}, "spinup_lunations"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    args = {"lat_deg": 0.0, "lon_deg": 0.0, "start": "2028-01-01", "end": "2028-01-02", "step": "1h"} | kwargs
    with pytest.raises(InputError, match=name):
        point_temperature(**args)


def test_period_outside_the_ephemeris():
    with pytest.raises(EphemerisRangeError):
        point_temperature(0.0, 0.0, "2060-01-01", "2060-01-02", "1h", spinup_lunations=1)


def test_flux_on_slope_matches_altitude_azimuth_formula():
    """Incidence on a tilted plane from the Sun's altitude e and azimuth A (Duffie & Beckman, Solar Engineering
    of Thermal Processes, Eq. 1.6.3 in altitude form): cos i = cos s sin e + sin s cos e cos(A - aspect)."""
    times = time_range("2028-01-01", "2028-01-30", "3h")
    slope, aspect = 30.0, 200.0
    q = absorbed_flux_W_m2(Site(-80.0, 40.0), times, slope, aspect, 1361.0, 0.12, 0.06, 0.25)
    sun = sun_position(-80.0, 40.0, times)
    e, az, s = np.radians(sun.elevation_deg), np.radians(sun.azimuth_deg), np.radians(slope)
    cos_i = np.cos(s) * np.sin(e) + np.sin(s) * np.cos(e) * np.cos(az - np.radians(aspect))
    i = np.arccos(np.clip(cos_i, -1, 1))
    albedo = 0.12 + 0.06 * (i / (np.pi / 4)) ** 3 + 0.25 * (i / (np.pi / 2)) ** 8
    up = sun.elevation_deg > sun.angular_radius_deg  # whole disk above the horizontal
    expected = 1361.0 * (AU_KM / sun.distance_km) ** 2 * (1 - albedo) * np.maximum(cos_i, 0.0)
    np.testing.assert_allclose(q[up], expected[up], rtol=1e-9, atol=1e-9)
    assert np.all(q[sun.elevation_deg < -sun.angular_radius_deg] == 0.0)
    assert q.max() > 100.0  # the slope does face the Sun part of the time
