"""Numeric kernels: SI units and radians, numpy arrays in, no I/O."""
