"""Landing-site selection: per-cell metrics, hard constraints, landing-ellipse worst case, TOPSIS ranking."""

from lupex.sites.ranking import pareto_front, topsis_closeness
from lupex.sites.selection import CRITERIA, NoFeasibleSiteError, SiteSelection, select_sites, site_metrics

__all__ = [
    "CRITERIA",
    "NoFeasibleSiteError",
    "SiteSelection",
    "pareto_front",
    "select_sites",
    "site_metrics",
    "topsis_closeness",
]
