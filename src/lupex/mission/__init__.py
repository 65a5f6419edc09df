"""Missions: typed scenarios (TOML with units and provenance), the chain of registered stages, and the run.

Importing this package registers the built-in stages (:mod:`lupex.mission.stages`).
"""

from lupex.mission.chain import MissionResult, StageError, run_mission, select_stages
from lupex.mission.scenario import (
    PRESETS,
    Parameter,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
    preset_text,
    register_section,
)
from lupex.mission.stage import (
    MapLayer,
    OutputContext,
    Stage,
    StageContext,
    StageReport,
    Validation,
    register_stage,
    registered_stages,
    unregister_stage,
)
from lupex.mission.stages import BUILTIN_STAGES

__all__ = [
    "BUILTIN_STAGES",
    "PRESETS",
    "MapLayer",
    "MissionResult",
    "OutputContext",
    "Parameter",
    "Scenario",
    "ScenarioError",
    "Stage",
    "StageContext",
    "StageError",
    "StageReport",
    "Validation",
    "load_scenario",
    "parse_scenario",
    "preset_text",
    "register_section",
    "register_stage",
    "registered_stages",
    "run_mission",
    "select_stages",
    "unregister_stage",
]
