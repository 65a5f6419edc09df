"""Surface operations: the campaign simulation and its Monte Carlo."""
