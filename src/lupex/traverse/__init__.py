"""Rover traverse planning: the rover model, its environment over time, the planner and an independent check."""

from lupex.traverse.environment import TraverseEnvironment, traverse_environment, window_around
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

__all__ = [
    "OBJECTIVES",
    "PANEL_MODES",
    "PlanCheck",
    "Rover",
    "TraverseEnvironment",
    "TraversePlan",
    "TraverseSearchError",
    "Waypoint",
    "check_plan",
    "plan_inputs",
    "plan_traverse",
    "traverse_environment",
    "window_around",
]
