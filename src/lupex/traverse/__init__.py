"""Rover traverse planning: the rover model, its environment over time, the planner and an independent check."""

from lupex.traverse.environment import (
    CellSky,
    TraverseEnvironment,
    cell_sky_series,
    traverse_environment,
    window_around,
    window_cell,
)
from lupex.traverse.planner import (
    OBJECTIVES,
    TraversePlan,
    TraverseSearchError,
    Waypoint,
    plan_inputs,
    plan_traverse,
)
from lupex.traverse.rover import PANEL_MODES, Rover
from lupex.traverse.simulate import PlanCheck, check_plan
from lupex.traverse.stations import (
    DrillStation,
    StationAttempt,
    StationTrip,
    drill_station_candidates,
    plan_station_round_trip,
)

__all__ = [
    "OBJECTIVES",
    "PANEL_MODES",
    "CellSky",
    "DrillStation",
    "PlanCheck",
    "Rover",
    "StationAttempt",
    "StationTrip",
    "TraverseEnvironment",
    "TraversePlan",
    "TraverseSearchError",
    "Waypoint",
    "cell_sky_series",
    "check_plan",
    "drill_station_candidates",
    "plan_inputs",
    "plan_station_round_trip",
    "plan_traverse",
    "traverse_environment",
    "window_around",
    "window_cell",
]
