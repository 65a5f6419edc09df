"""Science: the subsurface ice truth model, the instruments' returns along a route, and the resource estimate."""
