"""The thermal map's column-solver backend choice (the CUDA solver itself: tests/core/test_thermal_cuda.py)."""

from __future__ import annotations

import pytest

from lupex.core.thermal import advance_columns
from lupex.core.visibility_cuda import cuda_available
from lupex.errors import InputError, LupexError
from lupex.thermal.terrain import column_kernel


def test_backends() -> None:
    assert column_kernel("cpu") is advance_columns
    with pytest.raises(InputError, match="backend 'gpu' is not accepted"):
        column_kernel("gpu")
    if cuda_available():
        from lupex.core.thermal_cuda import advance_columns_cuda

        assert column_kernel("auto") is column_kernel("cuda") is advance_columns_cuda
    else:
        assert column_kernel("auto") is advance_columns
        with pytest.raises(LupexError, match="no usable CUDA GPU"):
            column_kernel("cuda")
