"""Missions: scenarios (TOML presets with provenance) and the end-to-end run with its stage cache."""

from lupex.mission.pipeline import MissionResult, StageError, TraverseOutcome, key_numbers, run_mission
from lupex.mission.scenario import PRESETS, Parameter, Scenario, ScenarioError, load_scenario, preset_text

__all__ = [
    "PRESETS",
    "MissionResult",
    "Parameter",
    "Scenario",
    "ScenarioError",
    "StageError",
    "TraverseOutcome",
    "key_numbers",
    "load_scenario",
    "preset_text",
    "run_mission",
]
