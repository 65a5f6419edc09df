"""Mission scenarios: one TOML file each, every parameter with its value, unit, source and confidence.

A scenario file has a ``[scenario]`` table (name, title, description) and the sections registered in
:data:`SECTIONS` (typed pydantic models, see :mod:`lupex.mission.quantity`); a stage that reads a new section
registers its model with :func:`register_section`. Every parameter is an inline table
``{ value = ..., unit = "...", source = "...", confidence = "published" | "estimate" | "placeholder" }``; units
are converted by pint to the parameter's canonical unit (``battery_Wh = { value = 3, unit = "kWh" }`` is
3000 Wh), and a unit of the wrong dimension or a value outside the parameter's physical range is refused.
Errors name the field's path in the file (``rover.battery_Wh.unit``), what is accepted and how to fix it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator
from pydantic_core import PydanticCustomError

from lupex.cluster.scheduler import parse_scheduler
from lupex.errors import InputError
from lupex.io.files import file_fingerprint
from lupex.io.tables import is_file, read_text, read_toml_text
from lupex.mission.quantity import Parameter, SectionModel, choice, instant, number, text
from lupex.traverse import PANEL_MODES, Rover

__all__ = [
    "PRESETS",
    "SECTIONS",
    "Parameter",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "parse_scenario",
    "preset_text",
    "register_section",
]

PRESETS = ("chandrayaan5", "viper-like", "pragyan-like")
P = Parameter | None


class ScenarioError(InputError):
    """A scenario file or one of its fields cannot be used."""


class ScenarioHead(BaseModel):
    """The ``[scenario]`` table; ``scheduler`` says where the run's work goes (``threads``, ``local:N`` or
    ``tcp://HOST:PORT``, see :mod:`lupex.cluster.scheduler`; ``lupex run --scheduler`` overrides it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    scheduler: str = "threads"

    @field_validator("scheduler")
    @classmethod
    def _scheduler_known(cls, value: str) -> str:
        try:
            return parse_scheduler(value, "").text
        except InputError as err:
            raise PydanticCustomError("lupex", "{message}", {"part": "", "message": str(err).strip()}) from None


class LaunchSection(SectionModel):
    """``[launch]``: vehicle and stack."""

    vehicle: Annotated[P, text()] = None
    stack_wet_mass_kg: Annotated[P, number("kg", 100.0, 1e5)] = None
    rover_mass_kg: Annotated[P, number("kg", 1.0, 5000.0)] = None
    drill_depth_m: Annotated[P, number("m", 0.0, 10.0)] = None
    surface_days: Annotated[P, number("d", 1.0, 3650.0)] = None


class GroundStationsSection(SectionModel):
    """``[ground_stations]``: the stations the mission uses (``use``: names from the catalogue, ``lupex comms
    windows --help``), and stations of the user's own as ``[ground_stations.custom.NAME]`` tables in the form of
    ``lupex/data/ground_stations.toml``."""

    use: Annotated[P, text()] = None
    custom: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _stations_known(self) -> GroundStationsSection:
        from lupex.comms.stations import StationError, parse_station, stations_named

        try:
            extra = {n: parse_station(n, t, f"custom.{n}") for n, t in self.custom.items()}
            if self.use is not None:
                stations_named(str(self.use.value), extra)
        except StationError as err:
            raise PydanticCustomError("lupex", "{message}", {"part": "", "message": str(err)}) from None
        return self

    def stations(self) -> list[Any]:
        """The :class:`lupex.comms.stations.GroundStation` objects in use (default: every catalogue station)."""
        from lupex.comms.stations import parse_station, stations_named

        extra = {n: parse_station(n, t, f"custom.{n}") for n, t in self.custom.items()}
        return stations_named(str(self.use.value) if self.use is not None else "all", extra)


class PeriodSection(SectionModel):
    """``[period]``: start of the surface mission and the sampling of the site statistics."""

    start_utc: Annotated[P, instant()] = None
    illumination_days: Annotated[P, number("d", 1.0, 3650.0)] = None
    illumination_step_h: Annotated[P, number("h", 0.25, 24.0)] = None
    thermal_step_h: Annotated[P, number("h", 0.25, 6.0)] = None


class SearchRegionSection(SectionModel):
    """``[search_region]``: the disc where landing sites are searched."""

    lat_deg: Annotated[P, number("deg", -90.0, -60.0)] = None
    lon_deg: Annotated[P, number("deg", -360.0, 360.0)] = None
    radius_km: Annotated[P, number("km", 0.5, 100.0)] = None


class SitesSection(SectionModel):
    """``[sites]``: landing-site constraints and the number of candidates reported."""

    top: Annotated[P, number("", 1, 100, integer=True)] = None
    lander_max_slope_deg: Annotated[P, number("deg", 0.0, 45.0)] = None
    min_mean_illumination: Annotated[P, number("1", 0.0, 1.0)] = None
    landing_ellipse_3sigma_m: Annotated[P, number("m", 0.0, 10_000.0)] = None


class RoverSection(SectionModel):
    """``[rover]``: any field of :class:`lupex.traverse.Rover`, in its unit, within a physical range."""

    mass_kg: Annotated[P, number("kg", 1.0, 5000.0)] = None
    speed_m_s: Annotated[P, number("m/s", 1e-4, 5.0)] = None
    slope_nominal_deg: Annotated[P, number("deg", 0.1, 89.0)] = None
    slope_max_deg: Annotated[P, number("deg", 0.1, 89.0)] = None
    steep_speed_factor: Annotated[P, number("1", 0.01, 1.0)] = None
    panel_area_m2: Annotated[P, number("m2", 0.01, 100.0)] = None
    panel_efficiency: Annotated[P, number("1", 0.01, 1.0)] = None
    panel: Annotated[P, choice(*PANEL_MODES)] = None
    battery_Wh: Annotated[P, number("Wh", 10.0, 1e6)] = None
    min_state_of_charge: Annotated[P, number("1", 0.0, 0.99)] = None
    initial_state_of_charge: Annotated[P, number("1", 0.01, 1.0)] = None
    hotel_W: Annotated[P, number("W", 0.0, 1e5)] = None
    drive_W: Annotated[P, number("W", 0.0, 1e5)] = None
    drivetrain_efficiency: Annotated[P, number("1", 0.01, 1.0)] = None
    heater_W: Annotated[P, number("W", 0.0, 1e5)] = None
    drill_W: Annotated[P, number("W", 0.0, 1e5)] = None
    drill_dwell_h: Annotated[P, number("h", 0.01, 1000.0)] = None
    max_blackout_h: Annotated[P, number("h", 0.1, 1e4)] = None
    max_shadow_h: Annotated[P, number("h", 0.1, 1e4)] = None
    mast_height_m: Annotated[P, number("m", 0.0, 20.0)] = None


class TraverseSection(SectionModel):
    """``[traverse]``: the drill-station round trip planned from the landing site; ``contact_mode`` ``dte`` needs
    the Earth above the rover's horizon, ``dte_or_relay`` also accepts a line of sight to the lander while the
    lander sees the Earth."""

    days: Annotated[P, number("d", 0.5, 60.0)] = None
    contact_mode: Annotated[P, choice("dte", "dte_or_relay")] = None
    drill_dwell_h: Annotated[P, number("h", 0.0, 240.0)] = None
    max_station_distance_m: Annotated[P, number("m", 50.0, 20_000.0)] = None
    n_stations: Annotated[P, number("", 1, 8, integer=True)] = None


class RelaySection(SectionModel):
    """``[relay]``: the rover-lander proximity link (``lupex.comms.relay``)."""

    band: Annotated[P, choice("uhf", "sband")] = None
    tx_power_W: Annotated[P, number("W", 0.01, 1000.0)] = None
    lander_antenna_m: Annotated[P, number("m", 0.0, 50.0)] = None
    rover_antenna_m: Annotated[P, number("m", 0.0, 20.0)] = None
    radius_m: Annotated[P, number("m", 100.0, 20_000.0)] = None


class TerrainSection(SectionModel):
    """``[terrain]``: the DEMs, ``builtin:NAME`` or a GeoTIFF / PDS3 path (relative to the scenario file)."""

    sites_dem: Annotated[P, text()] = None
    traverse_dem: Annotated[P, text()] = None


#: Section name -> model. Stages that read a new section register it (:func:`register_section`).
SECTIONS: dict[str, type[SectionModel]] = {
    "launch": LaunchSection,
    "ground_stations": GroundStationsSection,
    "period": PeriodSection,
    "search_region": SearchRegionSection,
    "sites": SitesSection,
    "rover": RoverSection,
    "traverse": TraverseSection,
    "relay": RelaySection,
    "terrain": TerrainSection,
}
_BUILTIN_SECTIONS = frozenset(SECTIONS)
#: Defaults of the [terrain] section (the bundled LOLA DEMs).
DEFAULT_DEMS = {"sites_dem": "builtin:south_pole_240m", "traverse_dem": "builtin:connecting_ridge_10m"}


def register_section(name: str, model: type[SectionModel]) -> None:
    """Make ``[name]`` a known scenario section validated by ``model`` (idempotent for the same model)."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name) or name == "scenario":
        raise ValueError(f"section name {name!r} must be 1-40 lower-case letters, digits or '_' (not 'scenario')")
    if SECTIONS.get(name, model) is not model:
        raise ValueError(f"scenario section {name!r} is already registered with another model")
    SECTIONS[name] = model


def unregister_section(name: str) -> None:
    """Forget a section a stage registered (built-in sections stay)."""
    if name not in _BUILTIN_SECTIONS:
        SECTIONS.pop(name, None)


@dataclass(frozen=True)
class Scenario:
    """A validated mission scenario (see the module docstring).

    Attributes
    ----------
    name, title, description : str
    parameters : dict of str -> Parameter
        Keyed by dotted path, e.g. ``"rover.battery_Wh"``; values in the canonical units.
    origin : str
        ``preset:NAME`` or the file path.
    text : str
        The TOML text it was read from (for the report).
    sections : dict of str -> SectionModel
        The typed sections present in the file.
    base_dir : str
        Folder that relative DEM paths are resolved against ("" for presets: the working directory).
    scheduler : str
        Where the run's work goes: ``threads`` (this process), ``local:N`` or ``tcp://HOST:PORT`` (a Dask cluster,
        :mod:`lupex.cluster.scheduler`). Not a parameter: it changes where results are computed, not what they
        are, so it is in no stage's cache key.
    """

    name: str
    title: str
    description: str
    parameters: dict[str, Parameter]
    origin: str
    text: str
    sections: dict[str, SectionModel] = field(default_factory=dict)
    base_dir: str = ""
    scheduler: str = "threads"

    def value(self, path: str) -> Any:
        """Value of a parameter by dotted path, in its canonical unit (``KeyError`` names the known paths)."""
        try:
            return self.parameters[path].value
        except KeyError:
            raise KeyError(
                f"scenario {self.name} has no parameter {path!r}; known: {sorted(self.parameters)}"
            ) from None

    def get(self, path: str, fallback: Any) -> Any:
        """Value of a parameter, or ``fallback`` when the scenario does not set it."""
        p = self.parameters.get(path)
        return fallback if p is None else p.value

    def section(self, name: str) -> dict[str, Any]:
        """Canonical values of one section, by parameter name (empty when absent)."""
        prefix = name + "."
        return {k[len(prefix) :]: p.value for k, p in self.parameters.items() if k.startswith(prefix)}

    def dem(self, role: str) -> str:
        """DEM spec for ``role`` (``sites`` or ``traverse``): ``builtin:NAME`` or an absolute/relative path."""
        spec = str(self.get(f"terrain.{role}_dem", DEFAULT_DEMS[f"{role}_dem"]))
        if spec.startswith("builtin:") or Path(spec).is_absolute() or not self.base_dir:
            return spec
        return str(Path(self.base_dir) / spec)

    def dem_key(self, role: str) -> tuple[Any, ...]:
        """What identifies the DEM for ``role`` in a cache key: its builtin name, or a file's path, size, mtime."""
        spec = self.dem(role)
        return (spec,) if spec.startswith("builtin:") else file_fingerprint(spec)

    def rover(self) -> Rover:
        """The rover of this scenario (``launch.rover_mass_kg`` and the ``[rover]`` section)."""
        overrides = self.section("rover")
        if "launch.rover_mass_kg" in self.parameters:
            overrides.setdefault("mass_kg", self.value("launch.rover_mass_kg"))
        return Rover.with_overrides(**overrides)

    def rover_provenance(self) -> list[dict[str, Any]]:
        """The rover's parameters with the scenario's unit, source and confidence where it sets them."""
        rows = []
        for row in self.rover().provenance():
            path = "launch.rover_mass_kg" if row["name"] == "mass_kg" else f"rover.{row['name']}"
            p = self.parameters.get(path)
            if p is not None:
                row = {**row, "unit": p.unit, "source": p.source, "confidence": p.confidence}
            rows.append(row)
        return rows

    def provenance(self) -> list[dict[str, Any]]:
        """One row per parameter: path, value (canonical unit), unit, as given, confidence, source."""
        return [
            {"parameter": k, "value": p.value, "unit": p.unit, "given": p.given, "confidence": p.confidence,
             "source": p.source}
            for k, p in sorted(self.parameters.items())
        ]  # fmt: skip

    def placeholders(self) -> list[str]:
        """Paths of the parameters whose confidence is ``placeholder``."""
        return sorted(k for k, p in self.parameters.items() if p.confidence == "placeholder")


def preset_text(name: str) -> str:
    """TOML text of a built-in preset."""
    if name not in PRESETS:
        raise ScenarioError(f"unknown scenario {name!r}; built-in presets: {', '.join(PRESETS)} (or give a .toml path)")
    return resources.files("lupex.mission").joinpath("presets", f"{name}.toml").read_text(encoding="utf-8")


def load_scenario(name_or_path: str | Path = "chandrayaan5") -> Scenario:
    """Load and validate a preset (by name) or a scenario file (by path).

    Raises
    ------
    ScenarioError
        With the field's path in the file, what is accepted and how to fix it.
    """
    text_name = str(name_or_path)
    if text_name in PRESETS:
        return parse_scenario(preset_text(text_name), f"preset:{text_name}")
    if not text_name.endswith(".toml"):
        raise ScenarioError(
            f"scenario {text_name!r} is neither a built-in preset ({', '.join(PRESETS)}) nor a .toml file; "
            "write one with `lupex scenario new NAME`"
        )
    return parse_scenario(read_text(text_name), text_name, base_dir=str(Path(text_name).parent))


def _document_model() -> type[BaseModel]:
    fields: dict[str, Any] = {"scenario": (ScenarioHead, ...)}
    for name, model in SECTIONS.items():
        fields[name] = (model | None, None)
    return create_model("ScenarioFile", __config__=ConfigDict(extra="forbid"), **fields)


def _error_line(err: ValidationError, data: dict[str, Any]) -> str:
    """The first validation error as ``path: what is wrong; what is accepted``."""
    first = err.errors(include_url=False)[0]
    loc = [str(p) for p in first["loc"]]
    ctx = first.get("ctx") or {}
    kind = first["type"]
    if kind == "lupex":
        part = str(ctx.get("part", ""))
        return ".".join([*loc, part] if part else loc) + f": {ctx.get('message', first['msg'])}"
    if kind == "extra_forbidden" and len(loc) == 1:
        return f"{loc[0]}: unknown section; known: {', '.join(['scenario', *SECTIONS])}"
    if kind == "extra_forbidden" and len(loc) == 2 and loc[0] in SECTIONS:
        known = ", ".join(SECTIONS[loc[0]].model_fields)
        return f"{'.'.join(loc)}: unknown parameter; known in [{loc[0]}]: {known}"
    if kind == "missing" and loc == ["scenario"]:
        return "scenario: missing [scenario] table with name, title, description"
    if kind == "model_type" or kind == "dict_type":
        return f"{'.'.join(loc)}: must be a table of parameters"
    given = first.get("input")
    shown = "" if isinstance(given, dict) else f" (got {given!r:.60})"
    return f"{'.'.join(loc)}: {first['msg'][0].lower()}{first['msg'][1:]}{shown}"


def parse_scenario(text: str, origin: str, base_dir: str = "") -> Scenario:
    """Validate scenario TOML text (see :func:`load_scenario`); ``base_dir`` resolves relative DEM paths."""
    data = read_toml_text(text, origin)
    where = f" (in {origin})"
    try:
        doc = _document_model().model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_error_line(err, data) + where) from None
    head: ScenarioHead = doc.scenario  # type: ignore[attr-defined]
    sections: dict[str, SectionModel] = {}
    params: dict[str, Parameter] = {}
    for name in SECTIONS:
        model = getattr(doc, name)
        if model is not None:
            sections[name] = model
            params.update({f"{name}.{k}": p for k, p in model.parameters().items()})
    scenario = Scenario(
        name=head.name, title=head.title, description=head.description, parameters=params,
        origin=origin, text=text, sections=sections, base_dir=base_dir, scheduler=head.scheduler,
    )  # fmt: skip
    check_cross_fields(scenario, where)
    return scenario


def check_cross_fields(scenario: Scenario, where: str) -> None:
    from lupex.ephemeris import format_utc, parse_time, valid_time_range

    for required in ("period.start_utc", "search_region.lat_deg", "search_region.lon_deg", "search_region.radius_km"):
        if required not in scenario.parameters:
            raise ScenarioError(f"{required}: required; copy it from `lupex scenario show chandrayaan5`{where}")
    start = parse_time(scenario.value("period.start_utc"), "period.start_utc")
    lo, hi = valid_time_range()
    spans = {"period.illumination_days": float(scenario.get("period.illumination_days", 365.0)),
             "traverse.days": float(scenario.get("traverse.days", 14.0))}  # fmt: skip
    for key in ("launch.surface_days", "comms.days", "ops.days"):
        if key in scenario.parameters:
            spans[key] = float(scenario.value(key))
    longest = max(spans, key=lambda k: spans[k])
    days = spans[longest]
    if not lo <= start or start.astype("datetime64[s]") + int(days * 86400) > hi:
        # name the mission length the user set when it is what reaches past the kernels, else the start
        field = longest if longest in ("launch.surface_days", "comms.days", "ops.days") else "period.start_utc"
        raise ScenarioError(
            f"{field}.value: {scenario.value('period.start_utc')} plus {days:g} days ({longest}) is outside the "
            f"ephemeris ({format_utc(lo)} .. {format_utc(hi)}); shorten it or choose a start in that range{where}"
        )
    try:
        scenario.rover()
    except InputError as err:
        raise ScenarioError(f"rover: {err}{where}") from None
    for role in ("sites", "traverse"):
        spec = scenario.dem(role)
        if not spec.startswith("builtin:") and not is_file(spec):
            raise ScenarioError(
                f"terrain.{role}_dem.value: {spec!r} is not a file; give builtin:NAME or a GeoTIFF / PDS3 path "
                f"(relative to the scenario file){where}"
            )
