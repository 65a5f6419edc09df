"""Every default parameter of lupex, in one place, with its unit, source and confidence.

Reports list the ``placeholder`` and ``estimate`` defaults a run used (see :func:`used_placeholders`).
Sources are cited per value; the project's research notes (mission facts, illumination references) and the
model cards under ``docs/models`` give the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Confidence = Literal["published", "estimate", "placeholder"]


@dataclass(frozen=True)
class Default:
    """A documented default value.

    Attributes
    ----------
    value : float
        The value, in ``unit``.
    unit : str
        Unit of ``value`` (also the suffix of the parameter name).
    source : str
        Where the number comes from.
    confidence : {"published", "estimate", "placeholder"}
        ``published``: taken from a cited document; ``estimate``: our engineering estimate from published
        context; ``placeholder``: a stand-in until a real value is known.
    """

    value: float
    unit: str
    source: str
    confidence: Confidence


DEFAULTS: dict[str, Default] = {
    "rover_mast_height_m": Default(
        2.0,
        "m",
        "Observer height used by Gläser et al. 2014/2018 for rover-scale illumination (Icarus 243)",
        "published",
    ),
    "tower_height_m": Default(
        10.0,
        "m",
        "Observer height used by Gläser et al. 2014 for a mast/tower (Icarus 243)",
        "published",
    ),
    "demo_site_lat_deg": Default(
        -89.45,
        "deg",
        "Centre of PGDA Site01 connecting-ridge DEM (Barker et al. 2021, PSS 203, 105119)",
        "published",
    ),
    "demo_site_lon_deg": Default(
        222.5, "deg", "Centre of PGDA Site01 connecting-ridge DEM (Barker et al. 2021)", "published"
    ),
    "demo_site_height_m": Default(
        1944.8,
        "m",
        "LOLA height at the Site01 centre pixel (bundled 10 m DEM, .source.txt)",
        "published",
    ),
    "scheduler_connect_timeout_s": Default(
        10.0,
        "s",
        "How long lupex waits for an existing Dask scheduler to answer before it gives up (our choice: long enough "
        "for a scheduler on a busy login node, short enough that a typo in the address fails fast)",
        "estimate",
    ),
    "tile_px": Default(
        512.0,
        "px",
        "Side of a terrain tile on a Dask cluster (our choice: 360 azimuths x 512^2 cells of float32 horizons are "
        "0.38 GB per task, and a 1536^2 DEM gives 9 tasks, enough for a few workers)",
        "estimate",
    ),
    "horizon_max_distance_m": Default(
        200_000.0,
        "m",
        "Reach of horizon rays: terrain 7 km above a -5 km observer drops below the "
        "horizontal beyond sqrt(2 R dh) ~ 200 km (illumination-references.md 3.2)",
        "estimate",
    ),
    # --- thermal model (issue #4): Hayne et al. 2017, JGR Planets 122:2371, Appendix A and Table A1
    "solar_constant_W_m2": Default(1361.0, "W/m2", "Total solar irradiance at 1 au (Kopp & Lean 2011)", "published"),
    "emissivity": Default(0.95, "1", "Regolith IR emissivity, Hayne et al. 2017 Table A1", "published"),
    "albedo_normal": Default(
        0.12, "1", "Highland bolometric albedo A0 at normal incidence, Hayne et al. 2017", "published"
    ),
    "albedo_coeff_a": Default(0.06, "1", "Albedo incidence coefficient a, Hayne et al. 2017 Eq. A5", "published"),
    "albedo_coeff_b": Default(0.25, "1", "Albedo incidence coefficient b, Hayne et al. 2017 Eq. A5", "published"),
    "h_parameter_m": Default(
        0.06, "m", "Density/conductivity e-folding depth H, Hayne et al. 2017 Table A1", "published"
    ),
    "density_surface_kg_m3": Default(1100.0, "kg/m3", "Surface density rho_s, Hayne et al. 2017 Table A1", "published"),
    "density_deep_kg_m3": Default(1800.0, "kg/m3", "Deep density rho_d, Hayne et al. 2017 Table A1", "published"),
    "conductivity_surface_W_m_K": Default(
        7.4e-4, "W/(m K)", "Surface contact conductivity K_s, Hayne et al. 2017 Table A1", "published"
    ),
    "conductivity_deep_W_m_K": Default(
        3.4e-3, "W/(m K)", "Deep contact conductivity K_d, Hayne et al. 2017 Table A1", "published"
    ),
    "radiative_conductivity_chi": Default(
        2.7, "1", "Radiative conductivity parameter chi (at 350 K), Hayne et al. 2017 Table A1", "published"
    ),
    "geothermal_flux_W_m2": Default(0.018, "W/m2", "Lunar basal heat flow, Hayne et al. 2017 Table A1", "published"),
    "ice_stability_temperature_K": Default(
        110.0,
        "K",
        "Cold-trap threshold: sublimation loss ~144 kg m-2 Gyr-1 at 110 K with Murphy & Koop 2005 "
        "(illumination-references.md section 4; Paige et al. 2010)",
        "published",
    ),
    "drill_depth_m": Default(
        1.5, "m", "LUPEX drill reach (ISRO/JAXA mission descriptions, mission-facts.md)", "published"
    ),
    "scatter_radius_m": Default(
        5000.0,
        "m",
        "Neighbourhood standing for the terrain a cell sees (sky-view closure, docs/models/thermal.md): of the "
        "order of the radii of the polar craters hosting PSRs (Shackleton 10.5 km); not calibrated on Diviner",
        "estimate",
    ),
    # --- landing-site selection (issue #4)
    "lander_max_slope_deg": Default(
        12.0, "deg", "Chandrayaan-3 touchdown slope limit (ISRO); LUPEX lander limit not published", "estimate"
    ),
    "lander_footprint_m": Default(
        4.0,
        "m",
        "Slope baseline ~ lander leg span (Chandrayaan-3 class); raised to the DEM pixel when coarser",
        "estimate",
    ),
    "min_mean_illumination": Default(
        0.5, "1", "Planning threshold for a solar-powered lander (issue #4); no published LUPEX value", "placeholder"
    ),
    "max_longest_darkness_h": Default(
        240.0, "h", "Survivable night for a battery-backed lander; no published LUPEX value", "placeholder"
    ),
    "min_earth_visibility": Default(
        0.3, "1", "Direct-to-Earth planning threshold; no published LUPEX value", "placeholder"
    ),
    "landing_ellipse_3sigma_m": Default(
        100.0, "m", "Landing ellipse radius (3 sigma), SLIM heritage (SLIM landed ~55 m from target)", "estimate"
    ),
    "rover_max_slope_deg": Default(
        15.0, "deg", "Rover nominal slope limit (VIPER 15 deg 'with ease'; LUPEX value not published)", "estimate"
    ),
    "weight_mean_illumination": Default(
        0.3, "1", "TOPSIS weight; site-selection trade choice (issue #4)", "placeholder"
    ),
    "weight_longest_darkness": Default(0.15, "1", "TOPSIS weight; site-selection trade choice", "placeholder"),
    "weight_earth_visibility": Default(0.15, "1", "TOPSIS weight; site-selection trade choice", "placeholder"),
    "weight_slope": Default(0.1, "1", "TOPSIS weight; site-selection trade choice", "placeholder"),
    "weight_rover_path_to_ice": Default(0.3, "1", "TOPSIS weight; site-selection trade choice", "placeholder"),
    "solar_panel_height_m": Default(
        2.0, "m", "Height of the lander's solar panels above the terrain; LUPEX value not published", "placeholder"
    ),
    # --- rover traverse (issue #5); LUPEX rover figures are not published except its mass (mission-facts.md 1.7)
    "rover_mass_kg": Default(
        350.0, "kg", "LUPEX rover mass incl. instruments (JpGU 2023 PPS06-06; mission-facts.md 1.1)", "published"
    ),
    "rover_speed_m_s": Default(
        0.05, "m/s", "Nominal drive speed between Pragyan 0.01 and VIPER 0.22 m/s (mission-facts.md 1.7)", "placeholder"
    ),
    "rover_hard_slope_deg": Default(
        20.0, "deg", "Rover hard slope limit (mission-facts.md 1.7; VIPER 25-30 deg 'if needed')", "placeholder"
    ),
    "rover_steep_speed_factor": Default(
        0.5, "1", "Speed factor between the nominal and hard slope limits (careful driving)", "placeholder"
    ),
    "rover_panel_area_m2": Default(
        1.5, "m2", "Solar array area, gplanetary-nav example rover (mission-facts.md 1.7)", "placeholder"
    ),
    "rover_panel_efficiency": Default(
        0.30, "1", "Solar array efficiency, gplanetary-nav example rover (mission-facts.md 1.7)", "placeholder"
    ),
    "rover_battery_Wh": Default(
        3000.0, "Wh", "Battery capacity, middle of the 2-4 kWh sweep (mission-facts.md 1.7)", "placeholder"
    ),
    "rover_min_state_of_charge": Default(
        0.2, "1", "Reserve fraction the battery must never go below (operations margin)", "placeholder"
    ),
    "rover_hotel_W": Default(
        60.0, "W", "Avionics, radio and instrument standby power while not driving", "placeholder"
    ),
    "rover_drive_W": Default(
        137.0, "W", "Mobility power on level ground, gplanetary-nav example rover (mission-facts.md 1.7)", "estimate"
    ),
    "rover_drivetrain_efficiency": Default(
        0.5, "1", "Motor and gear efficiency applied to the climbing power m g v sin(slope)", "estimate"
    ),
    "rover_heater_W": Default(
        50.0, "W", "Survival heater power while the rover is in shadow (cold case)", "placeholder"
    ),
    "rover_drill_W": Default(150.0, "W", "Extra power while drilling at a station (1.5 m auger)", "placeholder"),
    "rover_drill_dwell_h": Default(
        4.0, "h", "Default dwell at a drill station (drilling, sample delivery to REIWA)", "placeholder"
    ),
    "rover_max_blackout_h": Default(
        24.0,
        "h",
        "Longest time allowed without direct-to-Earth contact (VIPER reached a safe haven before each DTE "
        "blackout, NASA VIPER lunar operations; LUPEX value not published)",
        "placeholder",
    ),
    # --- drill stations of the mission's traverse stage (issue #11; lupex.traverse.stations)
    "drill_station_max_slope_deg": Default(
        12.0, "deg", "Steepest ground a drill station may sit on (drilling on a tilted rover; our estimate)", "estimate"
    ),
    "drill_station_min_distance_m": Default(
        50.0, "m", "Nearest a drill station may be to the landing site (clear of the lander's plume zone)", "estimate"
    ),
    "drill_station_spacing_m": Default(
        100.0, "m", "Least distance between two drill stations (distinct samples of the shadow's edge)", "estimate"
    ),
    "drill_station_candidates": Default(
        4, "", "Drill-station candidates kept for the planner (bounds the station sets tried)", "estimate"
    ),
    "traverse_labels_per_try": Default(
        3_000_000,
        "",
        "Search budget of each drill-station set the traverse stage tries (about 10 s and 250 MB on 2 cores)",
        "estimate",
    ),
    # --- rover-lander relay link (lupex.comms.relay; docs/models/relay.md). Rover -> lander return link.
    "relay_uhf_frequency_Hz": Default(
        401.585625e6,
        "Hz",
        "Proximity-1 (CCSDS 211.1-B) UHF return frequency of the Mars rover-to-orbiter relays (forward 437.1 MHz; "
        "Electra / Electra-Lite, MSL and Mars 2020); Pragyan's rover-lander link was UHF (frequency not published)",
        "published",
    ),
    "relay_uhf_tx_power_W": Default(
        5.0,
        "W",
        "Rover UHF transmitter RF output; Electra-class proximity radios radiate a few watts (LUPEX value not "
        "published)",
        "estimate",
    ),
    "relay_uhf_tx_gain_dBi": Default(
        0.0, "dBi", "Rover UHF low-gain antenna (monopole / quadrifilar helix) toward the horizon", "estimate"
    ),
    "relay_uhf_rx_gain_dBi": Default(
        0.0, "dBi", "Lander UHF low-gain antenna (monopole / quadrifilar helix) toward the horizon", "estimate"
    ),
    "relay_uhf_system_noise_temperature_K": Default(
        500.0,
        "K",
        "Lander UHF receiver: ~3 dB noise figure (290 K) plus a low-gain antenna seeing half lunar ground "
        "(~200 K brightness) and half galactic sky at 400 MHz",
        "estimate",
    ),
    "relay_uhf_rate_min_bps": Default(
        1_000.0,
        "bps",
        "Lowest Proximity-1 / Electra standard data rate, 1 kbps (rates double up to 2048 kbps)",
        "published",
    ),
    "relay_uhf_rate_max_bps": Default(
        2_048_000.0,
        "bps",
        "Highest Proximity-1 / Electra standard data rate, 2048 kbps (flown on the Curiosity-MRO UHF relay)",
        "published",
    ),
    "relay_sband_frequency_Hz": Default(
        2.45e9,
        "Hz",
        "Centre of the 2.4-2.5 GHz band of a Wi-Fi-class rover-lander link (JAXA LUPEX page: rover radio "
        "'X-band, S-band or Wi-Fi'; mission-facts.md 1.4)",
        "estimate",
    ),
    "relay_sband_tx_power_W": Default(1.0, "W", "Rover S-band / Wi-Fi-class transmitter RF output", "estimate"),
    "relay_sband_tx_gain_dBi": Default(3.0, "dBi", "Rover S-band low-gain (patch) antenna", "estimate"),
    "relay_sband_rx_gain_dBi": Default(3.0, "dBi", "Lander S-band low-gain (patch) antenna", "estimate"),
    "relay_sband_system_noise_temperature_K": Default(
        300.0,
        "K",
        "Lander S-band receiver: ~2 dB noise figure (170 K) plus a low-gain antenna seeing half lunar ground",
        "estimate",
    ),
    "relay_sband_rate_min_bps": Default(
        1_000.0, "bps", "Lowest S-band standard data rate (rates double from 1 kbps)", "estimate"
    ),
    "relay_sband_rate_max_bps": Default(
        8_192_000.0, "bps", "Highest S-band standard data rate (8192 kbps, Wi-Fi-class link)", "estimate"
    ),
    "relay_required_ebn0_dB": Default(
        4.4,
        "dB",
        "Eb/N0 for a 1e-5 bit error rate with the CCSDS K=7 r=1/2 convolutional code and soft-decision Viterbi "
        "decoding (Heller & Jacobs 1971, IEEE Trans. Commun. Technol. 19(5):835), the Proximity-1 code",
        "published",
    ),
    "relay_implementation_loss_dB": Default(
        2.0, "dB", "Modem, polarisation, pointing and cabling losses of a low-gain surface link", "estimate"
    ),
    "relay_required_margin_dB": Default(
        3.0, "dB", "Link margin required over the required Eb/N0 (JPL design-control-table practice)", "estimate"
    ),
    # --- direct-to-Earth link budgets (lupex.comms.budget; docs/models/link_budget.md)
    "comms_availability_pct": Default(
        95.0,
        "%",
        "Weather availability of the atmospheric loss: DSN link designs use 90-95 % weather (DSN 810-005 module "
        "105); 95 % keeps ITU-R P.618 rain (0.001-5 % exceedance) in its range",
        "estimate",
    ),
    "comms_rrc_rolloff": Default(
        0.5, "1", "Root-raised-cosine roll-off of filtered QPSK (CCSDS 401.0-B 2.4.17 allows 0.2-0.5)", "estimate"
    ),
    "comms_bandwidth_s_Hz": Default(
        10e6, "Hz", "S-band deep-space downlink 2290-2300 MHz (ITU-R SA.1014)", "published"
    ),
    "comms_bandwidth_x_Hz": Default(
        50e6, "Hz", "X-band deep-space downlink 8400-8450 MHz (ITU-R SA.1014)", "published"
    ),
    "comms_bandwidth_ka_Hz": Default(
        500e6, "Hz", "Ka-band deep-space downlink 31.8-32.3 GHz (ITU-R SA.1014)", "published"
    ),
    "comms_lander_tx_power_W": Default(
        20.0, "W", "Lander direct-to-Earth RF power (X-band SSPA class); LUPEX value not published", "placeholder"
    ),
    "comms_lander_antenna_m": Default(
        0.5, "m", "Lander high-gain antenna diameter; LUPEX value not published", "placeholder"
    ),
    "comms_lander_antenna_height_m": Default(
        3.0, "m", "Lander antenna height above the terrain (deck and mast); LUPEX value not published", "placeholder"
    ),
    "comms_lander_g_over_t_dB_K": Default(
        -15.0,
        "dB/K",
        "Lander receive G/T for commands (a ~25 dBi dish at X band with a ~300 K system looking at the Earth); our "
        "estimate",
        "placeholder",
    ),
    "comms_moon_brightness_temperature_K": Default(
        215.0,
        "K",
        "Disk-averaged lunar brightness temperature at cm wavelengths, about 210-220 K and nearly independent of "
        "phase there (Krotikov & Troitsky 1964, Sov. Phys. Usp. 6, 841); added to a station's noise when the "
        "Moon fills its beam",
        "estimate",
    ),
    "comms_mean_radiating_temperature_K": Default(
        275.0, "K", "Mean radiating temperature T_m of the atmosphere for sky noise, ITU-R P.618-13 sec. 3", "published"
    ),
    "comms_gt_reference_elevation_deg": Default(
        90.0, "deg", "Elevation at which a station G/T is quoted when none is given (zenith)", "placeholder"
    ),
    "comms_itur_min_elevation_deg": Default(
        5.0,
        "deg",
        "Lowest elevation given to itur: ITU-R P.676 Annex 2 slant paths and P.618 scintillation hold from 5 deg "
        "(itur 0.4 warns below)",
        "published",
    ),
    "comms_itur_max_elevation_deg": Default(
        89.9,
        "deg",
        "Highest elevation given to itur (its P.676 check flags exactly 90 deg; P.618 rain is singular at zenith)",
        "estimate",
    ),
    "comms_itur_elevation_step_deg": Default(
        0.1,
        "deg",
        "Elevation grid step of the cached itur evaluation (linear interpolation error < 0.001 dB at X band, "
        "< 0.02 dB at Ka band 99.9 %)",
        "estimate",
    ),
    "comms_polarization_tilt_deg": Default(
        45.0,
        "deg",
        "Polarisation tilt for ITU-R P.618 rain: 45 deg for circular polarisation (P.618 sec. 2.2)",
        "published",
    ),
    "comms_antenna_efficiency": Default(
        0.55, "1", "Aperture efficiency of a parabolic dish (typically 0.5-0.7)", "estimate"
    ),
    "comms_tx_line_loss_dB": Default(
        1.0,
        "dB",
        "Cables, diplexer and switches between amplifier and antenna; LUPEX value not published",
        "placeholder",
    ),
    "comms_tx_pointing_loss_dB": Default(
        0.5, "dB", "Lander/rover antenna mispointing toward the Earth; LUPEX value not published", "placeholder"
    ),
    "comms_rx_pointing_loss_dB": Default(
        0.1, "dB", "Ground-station antenna pointing loss (autotracking large dish)", "estimate"
    ),
    "comms_polarization_loss_dB": Default(
        0.2, "dB", "Polarisation mismatch of two circularly polarised antennas (axial ratios ~1-2 dB)", "estimate"
    ),
    "comms_implementation_loss_dB": Default(
        1.0, "dB", "Demodulation, synchronisation and decoder losses relative to the ideal coding curve", "estimate"
    ),
    "comms_required_margin_dB": Default(
        3.0,
        "dB",
        "Telemetry/command link margin over the required Eb/N0 (JPL design-control-table practice)",
        "estimate",
    ),
    "comms_rate_ladder_min_bps": Default(
        8.0, "bps", "Lowest standard data rate of the direct-to-Earth ladder (powers of two)", "estimate"
    ),
    "comms_rate_ladder_max_bps": Default(
        134_217_728.0, "bps", "Highest standard data rate of the ladder, 2^27 bps (Ka-band class)", "estimate"
    ),
    # --- secure link, quantum key distribution (lupex.comms.qkd; docs/models/qkd.md). Preset numbers live in
    # lupex.comms.qkd.PRESET_TABLE, each with its unit, source and confidence.
    "qkd_sifting_factor": Default(
        0.5, "1", "BB84 basis-sifting fraction q = 1/2 (Ma, Qi, Zhao & Lo 2005, PRA 72, 012326)", "published"
    ),
    "qkd_earth_moon_distance_km": Default(
        384_400.0, "km", "Mean Earth-Moon distance (NASA Moon fact sheet)", "published"
    ),
    "qkd_earth_moon_wavelength_nm": Default(
        850.0, "nm", "Si-SPAD band of free-space decoy BB84 (Micius, Liao et al. 2017); research notes 5.2", "estimate"
    ),
    "qkd_earth_moon_tx_aperture_m": Default(
        0.3, "m", "Lunar transmit telescope, Micius-class 300 mm aperture (research notes 5.2)", "estimate"
    ),
    "qkd_earth_moon_rx_aperture_m": Default(
        1.0, "m", "Ground receive telescope, 1 m class of the Micius ground stations (research notes 5.2)", "estimate"
    ),
    "qkd_max_curve_points": Default(
        100_000,
        "",
        "Most points a key-rate curve may have (the CLI refuses larger ranges before allocating)",
        "estimate",
    ),
    "qkd_max_loss_search_db": Default(
        300.0,
        "dB",
        "Highest channel loss searched for the key's cutoff (rates there are below 1e-30 per pulse)",
        "estimate",
    ),
    # Launch and lunar transfer (lupex.flight.transfer, docs/models/transfer.md).
    "transfer_parking_altitude_km": Default(
        407.0,
        "km",
        "LEO of the reference budget, Acta Astronautica 177 (2020) Table 4 (mission-facts.md 4.2)",
        "published",
    ),
    "transfer_llo_altitude_km": Default(
        100.0, "km", "Circular LLO of Acta Astronautica 177 (2020) Table 4 (mission-facts.md 4.2)", "published"
    ),
    "transfer_periselene_altitude_km": Default(
        15.0, "km", "100 x 15 km descent orbit (mission-facts.md 4.2; Apollo practice)", "estimate"
    ),
    "transfer_tof_days": Default(
        4.0, "d", "Direct trans-lunar coast, between Apollo's ~3 d and a near-Hohmann ~5 d", "estimate"
    ),
    "transfer_spacecraft_isp_s": Default(
        315.0,
        "s",
        "Bipropellant (MMH/MON) lander engine, as used for the propellant fractions in mission-facts.md 4.2",
        "estimate",
    ),
    "transfer_descent_gravity_loss_m_s": Default(
        300.0,
        "m/s",
        "Gravity, steering and hover losses: mid of the quoted 1.9-2.1 km/s LLO-surface range minus "
        "the ~1.71 km/s ideal (mission-facts.md 4.2)",
        "estimate",
    ),
    "transfer_descent_reserve_fraction": Default(
        0.05,
        "1",
        "5 % reserve of Acta Astronautica 177 (2020) Table 4 LLO -> surface (mission-facts.md 4.2)",
        "published",
    ),
    "transfer_window_illumination_step_h": Default(
        2.0, "h", "Sampling of the site's Sun and Earth over the launch-window period", "estimate"
    ),
    "transfer_surface_days": Default(
        14.0, "d", "First lunar day of surface operations summarised per arrival (half a synodic month)", "estimate"
    ),
    # --- powered descent guidance (issue #13): lossless convexification, Acikmese & Ploen 2007, Blackmore et al. 2010
    "gfold_landing_tolerance_m": Default(
        0.01, "m", "Slack on the P3 landing error carried into P4 (solver accuracy; Blackmore et al. 2010)", "estimate"
    ),
    "gfold_min_nodes": Default(10, "", "Fewest time intervals of the discretised descent", "estimate"),
    "gfold_max_nodes": Default(1000, "", "Most time intervals (problem size is checked before allocating)", "estimate"),
    "gfold_max_tf_s": Default(3600.0, "s", "Longest time of flight accepted for a terminal descent", "estimate"),
    "lunar_descent_gravity_m_s2": Default(1.62, "m/s2", "Mean lunar surface gravity (GM/R^2)", "published"),
    "lunar_descent_n_engines": Default(
        4, "", "Chandrayaan-3 Vikram: four 800 N throttleable engines (ISRO Chandrayaan-3 mission page)", "published"
    ),
    "lunar_descent_engine_thrust_N": Default(
        800.0, "N", "Chandrayaan-3 Vikram throttleable engine thrust (ISRO Chandrayaan-3 mission page)", "published"
    ),
    "lunar_descent_isp_s": Default(
        310.0, "s", "Typical of 800 N-class MMH/MON-3 bipropellant engines (Vikram's not published)", "estimate"
    ),
    "lunar_descent_throttle_min": Default(
        0.4, "1", "Deepest throttle assumed for Vikram's engines (range not published)", "estimate"
    ),
    "lunar_descent_throttle_max": Default(1.0, "1", "Full thrust", "estimate"),
    "lunar_descent_wet_mass_kg": Default(
        1000.0,
        "kg",
        "Vikram mass at ~800 m after fine braking: 1752 kg at separation less the braking propellant (our estimate)",
        "estimate",
    ),
    "lunar_descent_dry_mass_kg": Default(
        900.0, "kg", "Touchdown mass floor: leaves a 100 kg budget for the terminal descent (our estimate)", "estimate"
    ),
    "lunar_descent_altitude_m": Default(
        800.0, "m", "Chandrayaan-3: fine braking ends at ~800 m altitude (ISRO landing sequence)", "published"
    ),
    "lunar_descent_downrange_m": Default(
        150.0, "m", "Horizontal offset of the target at 800 m (retargeting margin, our estimate)", "estimate"
    ),
    "lunar_descent_vertical_speed_m_s": Default(
        2.0, "m/s", "Sink rate at the end of fine braking (near-hover, our estimate)", "estimate"
    ),
    "lunar_descent_pointing_max_deg": Default(
        30.0, "deg", "Largest thrust tilt from vertical in the terminal descent (our estimate)", "estimate"
    ),
    # --- lunar descent profile and landing dispersion (docs/models/descent.md)
    "descent_start_mass_kg": Default(
        1750.0,
        "kg",
        "Vikram lander ~1752 kg at separation (research notes 4.3 context); deboost burns ignored",
        "estimate",
    ),
    "descent_start_altitude_m": Default(
        30_000.0, "m", "Chandrayaan-3 powered descent from ~30 km (Somanath/Desai, research notes 4.3)", "published"
    ),
    "descent_start_v_horizontal_m_s": Default(
        1680.0, "m/s", "Chandrayaan-3 ~1.68 km/s at powered-descent start (research notes 4.3)", "published"
    ),
    "descent_rough_braking_s": Default(
        690.0, "s", "Chandrayaan-3 rough braking ~690 s (~11.5 min, notes 4.3)", "published"
    ),
    "descent_rough_end_altitude_m": Default(
        7400.0,
        "m",
        "End of rough braking ~7.4 km (ISRO broadcast, quoted in the issue; notes 4.3: 6.8-7.2 km)",
        "estimate",
    ),
    "descent_rough_end_v_horizontal_m_s": Default(
        358.0, "m/s", "Horizontal speed at the end of rough braking (ISRO broadcast, quoted in the issue)", "estimate"
    ),
    "descent_rough_end_v_sink_m_s": Default(
        61.0, "m/s", "Sink rate at the end of rough braking (ISRO broadcast, quoted in the issue)", "estimate"
    ),
    "descent_attitude_hold_s": Default(10.0, "s", "Chandrayaan-3 attitude hold ~10 s (notes 4.3)", "published"),
    "descent_fine_braking_s": Default(
        175.0, "s", "Fine-braking duration chosen so the thrust stays below 4 x 800 N (our estimate)", "estimate"
    ),
    "descent_fine_end_altitude_m": Default(
        800.0, "m", "Chandrayaan-3 fine braking ends at ~0 m/s at ~800 m (Desai, notes 4.3)", "published"
    ),
    "descent_vertical_descent_s": Default(
        90.0,
        "s",
        "Vertical descent 800 m -> 150 m, long enough to settle at 40 % min throttle (our estimate)",
        "estimate",
    ),
    "descent_hover_altitude_m": Default(150.0, "m", "Chandrayaan-3 hover at ~150 m (notes 4.3)", "published"),
    "descent_hover_s": Default(30.0, "s", "Chandrayaan-3 hover ~30 s for hazard detection (notes 4.3)", "published"),
    "descent_retarget_m": Default(
        60.0, "m", "Chandrayaan-3 lateral retarget up to ~60 m (notes 4.3); the profile flies the largest", "published"
    ),
    "descent_terminal_s": Default(
        50.0, "s", "Planned ZEM/ZEV time from the hover to the terminal gate (our estimate)", "estimate"
    ),
    "descent_gate_altitude_m": Default(
        10.0, "m", "Terminal gate: constant-rate descent below it (our estimate, flown-lander practice)", "estimate"
    ),
    "descent_gate_v_m_s": Default(
        1.0,
        "m/s",
        "Sink rate from the gate to touchdown: half the 2 m/s Chandrayaan-3 limit (our estimate)",
        "estimate",
    ),
    "descent_guidance_dt_s": Default(
        0.1, "s", "Guidance rate 10 Hz, thrust held over a step (our estimate)", "estimate"
    ),
    "descent_tgo_floor_s": Default(
        2.0, "s", "Below this time to go the ZEM/ZEV gains are frozen (ZEV-only law; our estimate)", "estimate"
    ),
    "descent_terminal_margin_s": Default(
        120.0,
        "s",
        "Extra time allowed after the planned terminal descent before a run counts as not landed",
        "estimate",
    ),
    "descent_max_touchdown_v_vertical_m_s": Default(
        2.0, "m/s", "Chandrayaan-3 touchdown spec V_v <= 2 m/s (Somanath via HT, notes 4.3)", "published"
    ),
    "descent_max_touchdown_v_horizontal_m_s": Default(
        0.5, "m/s", "Chandrayaan-3 touchdown spec V_h <= 0.5 m/s (Somanath via HT, notes 4.3)", "published"
    ),
    "descent_max_touchdown_slope_deg": Default(
        12.0, "deg", "Chandrayaan-3 touchdown spec slope <= 12 deg (Somanath via HT, notes 4.3)", "published"
    ),
    "descent_max_roughness_m": Default(
        0.5, "m", "RMS roughness limit at the DEM's 30 m baseline (no published Vikram value)", "placeholder"
    ),
    "descent_llo_to_surface_m_s": Default(
        2180.0, "m/s", "LLO (100 km) -> surface incl. 5 % reserve, Acta Astronautica 177 (2020) Table 4", "published"
    ),
    "dispersion_start_altitude_m": Default(
        800.0, "m", "Dispersion runs start at the end of fine braking (Chandrayaan-3 ~800 m, notes 4.3)", "published"
    ),
    "dispersion_terminal_s": Default(
        120.0, "s", "ZEM/ZEV time 800 m -> gate: nominal command above the 40 % min throttle (our estimate)", "estimate"
    ),
    "dispersion_nav_sigma_m": Default(
        20.0, "m", "TRN knowledge error per horizontal axis; SLIM landed ~55 m off target (our estimate)", "estimate"
    ),
    "dispersion_thrust_sigma_frac": Default(0.01, "1", "Thrust magnitude error, 1 sigma (our estimate)", "estimate"),
    "dispersion_isp_sigma_frac": Default(0.01, "1", "Specific impulse error, 1 sigma (our estimate)", "estimate"),
    "dispersion_position_sigma_m": Default(
        100.0,
        "m",
        "Initial position error per axis at 800 m, 1 sigma, corrected by guidance (our estimate)",
        "estimate",
    ),
    "dispersion_velocity_sigma_m_s": Default(
        2.0, "m/s", "Initial velocity error per axis at 800 m, 1 sigma (our estimate)", "estimate"
    ),
    "dispersion_max_runs": Default(1_000_000, "", "Most Monte Carlo runs accepted", "estimate"),
    # --- science: subsurface truth model and instruments (issue #14; docs/models/science_instruments.md) ---
    "science_weh_prior_mean_wt_pct": Default(
        5.6, "wt%", "LCROSS ejecta water 5.6 +- 2.9 wt%, Colaprete et al. 2010, Science 330, 463", "published"
    ),
    "science_weh_prior_sd_wt_pct": Default(2.9, "wt%", "LCROSS, Colaprete et al. 2010, Science 330, 463", "published"),
    "science_weh_prior_lp_mean_wt_pct": Default(
        1.5, "wt%", "Lunar Prospector polar WEH 1.5 +- 0.8 wt%, Feldman et al. 2001, JGR 106, 23231", "published"
    ),
    "science_weh_prior_lp_sd_wt_pct": Default(0.8, "wt%", "Feldman et al. 2001, JGR 106, 23231", "published"),
    "science_correlation_length_m": Default(
        10.0, "m", "Patchiness length scale of ice (metres to tens of metres; our estimate)", "estimate"
    ),
    "science_matern_nu": Default(1.5, "1", "Matern smoothness of the WEH field (our estimate)", "estimate"),
    "science_depth_max_m": Default(1.5, "m", "Model depth = LUPEX drill reach ~1.5 m (issue #14)", "estimate"),
    "science_depth_step_m": Default(0.05, "m", "Truth-model depth bin (our choice)", "estimate"),
    "science_ns_c0_counts_s": Default(
        30.75, "counts/s", "Dry epithermal count rate c0 of the Lunar Prospector WEH relation (issue #14)", "published"
    ),
    "science_ns_a": Default(0.0256, "1", "Constant a of the Lunar Prospector WEH relation (issue #14)", "published"),
    "science_ns_b": Default(1.0990, "1", "Exponent b of the Lunar Prospector WEH relation (issue #14)", "published"),
    "science_ns_leakage_depth_m": Default(
        0.2, "m", "Epithermal leakage e-folding depth ~20 cm (Teodoro et al. 2015, arXiv:1501.05712)", "estimate"
    ),
    "science_ns_integration_s": Default(60.0, "s", "Rover NS integration per sample (our estimate)", "estimate"),
    "science_ns_footprint_radius_m": Default(
        0.5, "m", "Radius of the ~1 m rover NS footprint average (issue #14; our estimate)", "estimate"
    ),
    "science_ns_spacing_m": Default(10.0, "m", "Track distance between NS integrations (our estimate)", "estimate"),
    "science_regolith_permittivity": Default(
        3.04, "1", "Real permittivity of regolith from the Chang'e-5 drill site radar (issue #14)", "published"
    ),
    "science_regolith_loss_tangent": Default(
        0.014, "1", "Loss tangent of regolith from the Chang'e-5 drill site radar (issue #14)", "published"
    ),
    "science_ice_permittivity": Default(3.15, "1", "Real permittivity of cold water ice (Evans 1965)", "published"),
    "science_grain_density_kg_m3": Default(
        3100.0,
        "kg/m3",
        "Regolith grain density, specific gravity ~3.1 (Carrier et al. 1991, Lunar Sourcebook)",
        "published",
    ),
    "science_ice_density_kg_m3": Default(930.0, "kg/m3", "Density of ice at ~100 K (our estimate)", "estimate"),
    "science_radar_frequency_Hz": Default(
        5.0e8, "Hz", "GPR centre frequency, bandwidth ~ centre (issue #14)", "estimate"
    ),
    "science_radar_noise_sd": Default(
        1.0e-3, "1", "Trace noise, one sigma, relative to the incident amplitude (our estimate)", "estimate"
    ),
    "science_radar_spacing_m": Default(0.5, "m", "Track distance between radar traces (our estimate)", "estimate"),
    "science_radar_pick_threshold_sigma": Default(
        6.0, "1", "Envelope threshold for the first-reflector pick, in noise sigmas (our estimate)", "estimate"
    ),
    "science_drill_depth_m": Default(1.5, "m", "LUPEX drill reach ~1.5 m (issue #14)", "estimate"),
    "science_drill_bite_m": Default(0.1, "m", "Drill bite length (issue #14)", "estimate"),
    "science_ice_sublimation_enthalpy_J_mol": Default(
        5.1e4, "J/mol", "Sublimation enthalpy of ice ~51 kJ/mol (Feistel & Wagner 2007)", "published"
    ),
    "science_drill_half_loss_temperature_K": Default(
        200.0, "K", "Sample temperature at which half the ice sublimates before analysis (our estimate)", "estimate"
    ),
    "science_drill_sample_temperature_K": Default(
        120.0, "K", "Sample temperature in handling (our estimate)", "estimate"
    ),
    "science_analyser_rel_sd": Default(0.10, "1", "Analyser relative uncertainty, 1 sigma (issue #14)", "estimate"),
    "science_analyser_abs_sd_wt_pct": Default(
        0.05, "wt%", "Analyser absolute uncertainty, 1 sigma (issue #14)", "estimate"
    ),
    "science_analyser_detection_limit_wt_pct": Default(0.1, "wt%", "Analyser detection limit (issue #14)", "estimate"),
    # --- resource estimate and ISRU (lupex.science.estimate, lupex.science.isru; docs/models/ice_estimate.md)
    "estimate_weh_prior_median_wt_pct": Default(
        5.6,
        "wt%",
        "LCROSS Cabeus ejecta 5.6 +- 2.9 wt% (Colaprete et al. 2010, Science 330, 463); as prior median",
        "estimate",
    ),
    "estimate_weh_prior_log_sd": Default(
        0.518, "1", "2.9 / 5.6 from LCROSS (Colaprete et al. 2010), delta method sd_log = sd / value", "estimate"
    ),
    "estimate_weh_corr_length_m": Default(
        25.0, "m", "Correlation length of ln(WEH), exponential (our estimate)", "estimate"
    ),
    "estimate_weh_floor_wt_pct": Default(0.1, "wt%", "Floor of neutron WEH before the log (our estimate)", "estimate"),
    "estimate_burial_prior_mean_m": Default(
        0.2, "m", "Desiccated overburden ~10-30 cm over polar ice (neutron-derived, our estimate)", "estimate"
    ),
    "estimate_burial_prior_sd_m": Default(0.15, "m", "Prior sd of the burial depth (our estimate)", "estimate"),
    "estimate_burial_corr_length_m": Default(
        30.0, "m", "Correlation length of burial depth (our estimate)", "estimate"
    ),
    "estimate_drill_depth_m": Default(
        1.0, "m", "Reach of a 1 m class drill (PRIME-1 TRIDENT; our estimate)", "estimate"
    ),
    "estimate_drill_log_sd": Default(
        0.1, "1", "ln(WEH) noise of a new drill hole in the value map (our estimate)", "estimate"
    ),
    "estimate_drill_depth_sd_m": Default(
        0.05, "m", "Burial-depth noise of a new drill hole (our estimate)", "estimate"
    ),
    "estimate_regolith_density_surface_kg_m3": Default(
        1100.0, "kg/m^3", "Surface density rho_s (Hayne et al. 2017, JGR Planets 122, 2371)", "published"
    ),
    "estimate_regolith_density_deep_kg_m3": Default(
        1800.0, "kg/m^3", "Deep density rho_d (Hayne et al. 2017, JGR Planets 122, 2371)", "published"
    ),
    "estimate_regolith_density_scale_m": Default(
        0.07, "m", "Density e-folding depth H, typical global value (Hayne et al. 2017); rounded", "estimate"
    ),
    "estimate_n_realisations": Default(200, "", "Conditioned realisations of the water mass (our choice)", "estimate"),
    "estimate_max_track_observations": Default(
        300, "", "Most neutron / radar observations after along-track block averaging (speed)", "estimate"
    ),
    "estimate_max_mass_points": Default(1200, "", "Most points the mass realisations are drawn on (speed)", "estimate"),
    "estimate_class_inferred_above": Default(
        1.0, "1", "(P90-P10)/P50 above which an estimate is 'inferred' (our convention after JORC/CIM)", "estimate"
    ),
    "estimate_class_measured_below": Default(
        0.3, "1", "(P90-P10)/P50 below which an estimate is 'measured' (our convention after JORC/CIM)", "estimate"
    ),
    "estimate_isru_regolith_temperature_k": Default(
        70.0, "K", "PSR regolith ~40-100 K (Paige et al. 2010, Science 330, 479); our pick", "estimate"
    ),
    "estimate_isru_sublimation_temperature_k": Default(
        240.0, "K", "Temperature the regolith is heated to for rapid sublimation in vacuum (our estimate)", "estimate"
    ),
    "estimate_isru_latent_heat_j_kg": Default(
        2.83e6, "J/kg", "Latent heat of sublimation of ice Ih near 200-273 K (Feistel & Wagner 2007)", "published"
    ),
    "estimate_isru_thermal_efficiency": Default(
        0.5, "1", "Fraction of input energy that heats the regolith and ice (our estimate)", "estimate"
    ),
    "estimate_isru_recovery_fraction": Default(
        0.7, "1", "Fraction of the water present that is captured (our estimate)", "estimate"
    ),
    # --- surface campaign (issue #15); rates and recoveries are engineering estimates, labelled as such ---
    "ops_start_state_of_charge": Default(
        0.9, "1", "Battery fraction the rover waits for at the safe haven before a sortie (our estimate)", "estimate"
    ),
    "ops_sortie_days": Default(
        3.0, "d", "Planning horizon of one sortie: its stations must stay dark this long (our estimate)", "estimate"
    ),
    "ops_replan_wait_h": Default(
        12.0, "h", "Wait at the haven before re-planning when no station can be reached (our estimate)", "estimate"
    ),
    "ops_storage_MB": Default(
        16000.0, "MB", "Rover mass memory, 16 GB class (VIPER-class flight storage; LUPEX value not published)",
        "placeholder",
    ),
    "ops_survey_MB_h": Default(
        40.0, "MB/h", "Neutron, GPR and navigation-camera data while driving (our estimate)", "estimate"
    ),
    "ops_sample_MB": Default(
        8.0, "MB", "Analyser spectra and images per drill sample (our estimate)", "estimate"
    ),
    "ops_housekeeping_MB_h": Default(2.0, "MB/h", "Engineering telemetry (our estimate)", "estimate"),
    "ops_drill_jam_per_h": Default(
        0.03, "1/h", "Drill jams per drilling hour (our estimate; Apollo 15/16/17 drill stalls, Phoenix/InSight "
        "probe anomalies as context)", "estimate",
    ),
    "ops_drill_jam_recovery_h": Default(3.0, "h", "Time to free a jammed drill (our estimate)", "estimate"),
    "ops_wheel_slip_per_h": Default(
        0.02, "1/h", "Embedding / high-slip events per driving hour (our estimate; Spirit, Curiosity as context)",
        "estimate",
    ),
    "ops_wheel_slip_recovery_h": Default(2.0, "h", "Time to back out of a high-slip event (our estimate)", "estimate"),
    "ops_comms_dropout_per_d": Default(
        0.1, "1/d", "Link drop-outs per day (our estimate)", "estimate"
    ),
    "ops_comms_dropout_recovery_h": Default(6.0, "h", "Length of a link drop-out (our estimate)", "estimate"),
    "ops_safe_mode_per_d": Default(
        0.02, "1/d", "Safe-mode reboots per day (our estimate; Yutu-2, Pragyan and VIPER-class practice)", "estimate"
    ),
    "ops_safe_mode_recovery_h": Default(12.0, "h", "Time from safe mode to operations (our estimate)", "estimate"),
    "ops_heater_failure_per_d": Default(
        0.002, "1/d", "Primary heater-string failures per day (our estimate)", "estimate"
    ),
    "ops_heater_failure_recovery_h": Default(
        24.0, "h", "Time to switch to the redundant heater string (our estimate)", "estimate"
    ),
    "ops_max_retries": Default(2.0, "1", "Drill retries after a jam before the station is skipped", "estimate"),
    "ops_success_min_drill_samples": Default(
        30.0, "1", "Success: drill samples analysed (two 1.5 m holes in 10 cm bites; our reading of LUPEX goals)",
        "estimate",
    ),
    "ops_success_min_km": Default(1.0, "km", "Success: distance driven (our estimate)", "estimate"),
    "ops_success_min_data_GB": Default(2.0, "GB", "Success: data returned to Earth (our estimate)", "estimate"),
    "ops_battery_fade_max": Default(
        0.15, "1", "Monte Carlo: capacity fade over the mission, uniform in [0, max] (Li-ion cycling, estimate)",
        "estimate",
    ),
    "ops_panel_efficiency_sd": Default(
        0.05, "1", "Monte Carlo: relative sd of the array output (dust, temperature; our estimate)", "estimate"
    ),
    "ops_speed_sd": Default(0.1, "1", "Monte Carlo: relative sd of the drive speed (our estimate)", "estimate"),
    "ops_default_runs": Default(20.0, "1", "Monte Carlo campaigns in `lupex run` (ask for more with --runs)",
                                "estimate"),
    "ops_hibernate_W": Default(
        15.0, "W", "Rover load while hibernating through darkness at the haven (our estimate; Yutu-2 and Pragyan "
        "hibernate at a few to tens of W)", "estimate",
    ),
    "ops_louver_closed_emissivity": Default(
        0.1, "1", "Effective radiator emittance with louvers closed, 0.1-0.15 (Gilmore 2002, Spacecraft Thermal "
        "Control Handbook, louvers)", "estimate",
    ),
    "ops_haven_grid_cells": Default(
        4.0, "1", "Stride of the cells searched for the safe haven (every 4th cell of the 10 m window)", "estimate"
    ),
    "ops_return_margin_h": Default(
        24.0, "h", "Daylight at the haven a sortie must leave after its planned return, to recharge before the next "
        "night (our estimate of an operations rule)", "estimate",
    ),
}


def default(name: str) -> float:
    """Value of a documented default (raises ``KeyError`` listing the known names)."""
    try:
        return DEFAULTS[name].value
    except KeyError:
        raise KeyError(f"unknown default {name!r}; known: {', '.join(sorted(DEFAULTS))}") from None


def used_placeholders(names: list[str]) -> list[str]:
    """Names among ``names`` whose confidence is ``placeholder`` or ``estimate`` (for reports)."""
    return [n for n in names if n in DEFAULTS and DEFAULTS[n].confidence != "published"]
