"""Communications: ground stations, contact windows, link budgets, the lander relay and secure-link (QKD) analysis."""
