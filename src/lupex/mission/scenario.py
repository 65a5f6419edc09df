"""Mission scenarios: one TOML file each, every parameter with its value, unit, source and confidence.

A scenario file has the sections of :data:`SCHEMA`; every parameter is an inline table
``{ value = ..., unit = "...", source = "...", confidence = "published" | "estimate" | "placeholder" }``.
The ``[rover]`` section may set any field of :class:`lupex.traverse.Rover`. Errors name the field's path in
the file (``rover.battery_Wh.value``), what is accepted and how to fix it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lupex.errors import InputError
from lupex.io.tables import read_toml_text
from lupex.traverse import Rover

__all__ = ["PRESETS", "SCHEMA", "Parameter", "Scenario", "ScenarioError", "load_scenario", "preset_text"]

PRESETS = ("chandrayaan5", "viper-like", "pragyan-like")
_CONFIDENCES = ("published", "estimate", "placeholder")


class ScenarioError(InputError):
    """A scenario file or one of its fields cannot be used."""


def _number(low: float, high: float, integer: bool = False) -> Any:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return f"a number in [{low:g}, {high:g}]"
        if integer and int(v) != v:
            return f"an integer in [{low:g}, {high:g}]"
        if not low <= v <= high:
            return f"a number in [{low:g}, {high:g}]"
        return None

    return check


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else "a non-empty string"


#: section -> parameter -> check (returns None when valid, else what is accepted).
SCHEMA: dict[str, dict[str, Any]] = {
    "launch": {
        "vehicle": _text,
        "stack_wet_mass_kg": _number(100.0, 1e5),
        "rover_mass_kg": _number(1.0, 5000.0),
        "drill_depth_m": _number(0.0, 10.0),
        "surface_days": _number(1.0, 3650.0),
    },
    "ground_stations": {
        "idsn_lat_deg": _number(-90.0, 90.0),
        "idsn_lon_deg": _number(-180.0, 360.0),
        "misasa_lat_deg": _number(-90.0, 90.0),
        "misasa_lon_deg": _number(-180.0, 360.0),
    },
    "period": {
        "start_utc": _text,
        "illumination_days": _number(1.0, 3650.0),
        "illumination_step_h": _number(0.25, 24.0),
        "thermal_step_h": _number(0.25, 6.0),
    },
    "search_region": {
        "lat_deg": _number(-90.0, -60.0),
        "lon_deg": _number(-360.0, 360.0),
        "radius_km": _number(0.5, 100.0),
    },
    "sites": {
        "top": _number(1, 100, integer=True),
        "lander_max_slope_deg": _number(0.0, 45.0),
        "min_mean_illumination": _number(0.0, 1.0),
        "landing_ellipse_3sigma_m": _number(0.0, 10_000.0),
    },
    "rover": {},  # any Rover field; checked by Rover itself
    "traverse": {
        "days": _number(0.5, 60.0),
        "drill_dwell_h": _number(0.0, 240.0),
        "max_station_distance_m": _number(50.0, 20_000.0),
        "n_stations": _number(1, 8, integer=True),
    },
}
_ROVER_FIELDS = {f for f in Rover.__dataclass_fields__ if f != "overrides"}


@dataclass(frozen=True)
class Parameter:
    """One scenario parameter: value, unit, source and confidence."""

    value: Any
    unit: str
    source: str
    confidence: str


@dataclass(frozen=True)
class Scenario:
    """A validated mission scenario (see the module docstring).

    Attributes
    ----------
    name, title, description : str
    parameters : dict of str -> Parameter
        Keyed by dotted path, e.g. ``"rover.battery_Wh"``.
    origin : str
        ``preset:NAME`` or the file path.
    text : str
        The TOML text it was read from (for the report and the cache key).
    """

    name: str
    title: str
    description: str
    parameters: dict[str, Parameter]
    origin: str
    text: str

    def value(self, path: str) -> Any:
        """Value of a parameter by dotted path (``KeyError`` names the known paths)."""
        try:
            return self.parameters[path].value
        except KeyError:
            raise KeyError(
                f"scenario {self.name} has no parameter {path!r}; known: {sorted(self.parameters)}"
            ) from None

    def section(self, name: str) -> dict[str, Any]:
        """Values of one section, by parameter name."""
        prefix = name + "."
        return {k[len(prefix) :]: p.value for k, p in self.parameters.items() if k.startswith(prefix)}

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
        """One row per parameter: path, value, unit, confidence, source."""
        return [
            {"parameter": k, "value": p.value, "unit": p.unit, "confidence": p.confidence, "source": p.source}
            for k, p in sorted(self.parameters.items())
        ]

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
    from lupex.io.tables import read_text

    return parse_scenario(read_text(text_name), text_name)


def parse_scenario(text: str, origin: str) -> Scenario:
    """Validate scenario TOML text (see :func:`load_scenario`)."""
    data = read_toml_text(text, origin)
    where = f" (in {origin})"
    head = data.get("scenario")
    if not isinstance(head, dict):
        raise ScenarioError(f"scenario: missing [scenario] table with name, title, description{where}")
    for key in ("name", "title", "description"):
        if _text(head.get(key)) is not None:
            raise ScenarioError(f"scenario.{key}: must be a non-empty string{where}")
    unknown = sorted(set(data) - set(SCHEMA) - {"scenario"})
    if unknown:
        raise ScenarioError(f"{unknown[0]}: unknown section; known: {', '.join(['scenario', *SCHEMA])}{where}")
    params: dict[str, Parameter] = {}
    for section, entries in data.items():
        if section == "scenario":
            continue
        if not isinstance(entries, dict):
            raise ScenarioError(f"{section}: must be a table of parameters{where}")
        schema = SCHEMA[section]
        for key, raw in entries.items():
            path = f"{section}.{key}"
            if section == "rover":
                if key not in _ROVER_FIELDS:
                    raise ScenarioError(
                        f"{path}: unknown rover parameter; known: {', '.join(sorted(_ROVER_FIELDS))}{where}"
                    )
            elif key not in schema:
                raise ScenarioError(f"{path}: unknown parameter; known in [{section}]: {', '.join(schema)}{where}")
            if not isinstance(raw, dict) or "value" not in raw:
                raise ScenarioError(
                    f"{path}: must be a table {{ value = ..., unit = ..., source = ..., confidence = ... }}{where}"
                )
            extra = sorted(set(raw) - {"value", "unit", "source", "confidence"})
            if extra:
                raise ScenarioError(f"{path}.{extra[0]}: unknown key; use value, unit, source, confidence{where}")
            confidence = raw.get("confidence", "placeholder")
            if confidence not in _CONFIDENCES:
                raise ScenarioError(f"{path}.confidence: {confidence!r} is not one of {', '.join(_CONFIDENCES)}{where}")
            source = raw.get("source", "")
            if not isinstance(source, str) or (confidence != "placeholder" and not source.strip()):
                raise ScenarioError(f"{path}.source: a {confidence} value needs a source (a citation string){where}")
            value = raw["value"]
            check = schema.get(key)
            problem = check(value) if check is not None else None
            if problem is not None:
                raise ScenarioError(f"{path}.value: {value!r} is not accepted; give {problem}{where}")
            params[path] = Parameter(value=value, unit=str(raw.get("unit", "")), source=source, confidence=confidence)
    scenario = Scenario(
        name=head["name"], title=head["title"], description=head["description"], parameters=params,
        origin=origin, text=text,
    )  # fmt: skip
    _check_cross_fields(scenario, where)
    return scenario


def _check_cross_fields(scenario: Scenario, where: str) -> None:
    from lupex.ephemeris import parse_time

    for required in ("period.start_utc", "search_region.lat_deg", "search_region.lon_deg", "search_region.radius_km"):
        if required not in scenario.parameters:
            raise ScenarioError(f"{required}: required; copy it from `lupex scenario show chandrayaan5`{where}")
    try:
        parse_time(scenario.value("period.start_utc"), "period.start_utc.value")
    except InputError as err:
        raise ScenarioError(f"period.start_utc.value: {err}{where}") from None
    try:
        scenario.rover()
    except InputError as err:
        raise ScenarioError(f"rover: {err}{where}") from None
