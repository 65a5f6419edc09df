"""``lupex flight``: launch and transfer budgets, launch windows, powered descent and landing dispersion.

The commands live in ``cli/flight_*.py`` modules that register on :data:`flight_app`.
"""

from __future__ import annotations

import typer

flight_app = typer.Typer(help="Getting there: launch, lunar transfer, powered descent, landing dispersion.",
                         no_args_is_help=True)  # fmt: skip

# the commands register themselves on flight_app when their modules are imported
from lupex.cli import flight_budget, flight_descent, flight_dispersion  # noqa: E402, F401
