"""The built-in stages of the mission chain, registered here in one list (see docs/architecture.md)."""

from lupex.mission.stage import register_stage
from lupex.mission.stages.comms import CommsResult, CommsStage
from lupex.mission.stages.flight import FlightResult, FlightStage
from lupex.mission.stages.ops import OpsResult, OpsStage
from lupex.mission.stages.science import ScienceResult, ScienceStage
from lupex.mission.stages.sites import SitesResult, SitesStage
from lupex.mission.stages.traverse import TraverseResult, TraverseStage

__all__ = [
    "BUILTIN_STAGES",
    "CommsResult",
    "CommsStage",
    "FlightResult",
    "FlightStage",
    "OpsResult",
    "OpsStage",
    "ScienceResult",
    "ScienceStage",
    "SitesResult",
    "SitesStage",
    "TraverseResult",
    "TraverseStage",
]

#: The chain's built-in stages. Adding a capability = one stage module + one line here.
BUILTIN_STAGES = (
    FlightStage(),
    SitesStage(),
    TraverseStage(),
    CommsStage(),
    ScienceStage(),
    OpsStage(),
)

for _stage in BUILTIN_STAGES:
    register_stage(_stage)
