"""Time contact windows: 8 ground stations, one lunar site, one year at 1 min (issue #12 target: <= 5 s).

Usage::

    .venv/bin/python benchmarks/bench_comms_windows.py            # 2028, 1 min, the chandrayaan5 landing site
    .venv/bin/python benchmarks/bench_comms_windows.py --days 100 # the surface mission only

The site's Earth visibility over the terrain (10 m ridge DEM plus far field) is included. A short warm-up run
first loads the kernels and DEMs, as a long-running session would have them. The baseline computed in the same
run is the direct Skyfield path for ONE station over a 10-day slice (``(earth + station).at(t).observe(site)``
with Skyfield's full Earth orientation at every sample), extrapolated linearly to 8 stations and the whole
period: what a straightforward implementation would cost.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

TARGET_S = 5.0
SITE = (-89.4455, 222.686)
STATIONS = "idsn32,idsn18,misasa54,dss24-goldstone,dss54-madrid,dss34-canberra,new-norcia35,cebreros35"


def _direct_skyfield_s(days: float) -> float:
    from skyfield.api import wgs84

    from lupex.comms.stations import station_named
    from lupex.ephemeris import time_range
    from lupex.ephemeris.sky import _skyfield_time
    from lupex.io.kernels import load_ephemeris_kernels

    k = load_ephemeris_kernels()
    st = station_named("idsn32")
    times = time_range("2028-01-01", f"2028-01-{1 + int(days):02d}", "1min")
    began = time.perf_counter()
    t = _skyfield_time(times)
    frame = k.constants.build_frame_named("MOON_ME_DE421")
    site = k.planets["moon"] + k.constants.build_latlon_degrees(frame, *SITE, 1950.0)
    observer = k.planets["earth"] + wgs84.latlon(st.lat_deg, st.lon_deg, st.height_m)
    observer.at(t).observe(site).apparent().altaz()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=366.0)
    args = parser.parse_args()
    from lupex.comms.stations import stations_named
    from lupex.comms.windows import contact_windows

    stations = stations_named(STATIONS)
    end = np.datetime64("2028-01-01") + np.timedelta64(int(args.days * 86400), "s")
    contact_windows(*SITE, "2028-01-01", "2028-01-02", "1min", stations)  # warm-up: kernels, DEMs
    began = time.perf_counter()
    cw = contact_windows(*SITE, "2028-01-01", end, "1min", stations)
    seconds = time.perf_counter() - began
    slice_days = 10.0
    direct = _direct_skyfield_s(slice_days) * (args.days / slice_days) * len(stations)
    print(f"contact windows: {len(stations)} stations, {cw.geometry.time_utc.size:,} samples at 1 min "
          f"({args.days:g} d): {seconds:.2f} s; target {TARGET_S:.0f} s -> ratio {seconds / TARGET_S:.2f}")
    print(f"network in contact {cw.network_visible_fraction:.1%}, longest outage {cw.longest_outage_h:.1f} h")
    print(f"direct Skyfield topocentric path (1 station x 10 d timed, extrapolated): {direct:.1f} s -> "
          f"speed-up {direct / seconds:.1f}x")


if __name__ == "__main__":
    main()
