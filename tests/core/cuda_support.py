"""What the CUDA tests share: whether numba's CUDA target (or its simulator) can be imported."""

from __future__ import annotations

import pytest


def cuda_importable() -> bool:
    """True when ``numba.cuda`` imports (the simulator then runs without a GPU)."""
    try:
        import numba.cuda  # noqa: F401
    except ImportError:
        return False
    return True


#: Skips a test where numba.cuda (simulator) is not importable.
needs_cuda_simulator = pytest.mark.skipif(not cuda_importable(), reason="numba.cuda (simulator) is not importable")
