"""The dashboard (``lupex serve``): FastAPI + a vendored Leaflet map of runs, with live runs from the browser."""

from lupex.web.app import RunRequest, create_app

__all__ = ["RunRequest", "create_app"]
