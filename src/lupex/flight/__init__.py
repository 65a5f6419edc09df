"""Flight: launch and lunar transfer, powered-descent guidance, the descent profile and landing dispersion."""
