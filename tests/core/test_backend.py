"""The one backend resolver (``lupex.core.backend.resolve_backend``) used by the horizon, statistics and thermal
kernels and by the ``--backend`` flag."""

from __future__ import annotations

import pytest

import lupex.core.visibility_cuda as visibility_cuda
from lupex.cli.main import main
from lupex.core.backend import BACKENDS, resolve_backend
from lupex.errors import InputError, LupexError


@pytest.mark.parametrize("usable", [False, True])
def test_choices(monkeypatch, usable: bool) -> None:
    monkeypatch.setattr(visibility_cuda, "cuda_available", lambda: usable)
    assert resolve_backend("cpu") == "cpu"
    assert resolve_backend("auto") == ("cuda" if usable else "cpu")
    if usable:
        assert resolve_backend("cuda") == "cuda"
    else:
        with pytest.raises(LupexError, match=r"^backend 'cuda' was asked for but no usable CUDA GPU.*backend='cpu'$"):
            resolve_backend("cuda")
        with pytest.raises(LupexError, match=r"^--backend cuda was asked for .* use --backend auto or --backend cpu$"):
            resolve_backend("cuda", "--backend")


@pytest.mark.parametrize("bad", ["gpu", "CPU", "", "cuda "])
def test_unknown_choice_names_the_argument_or_flag(bad: str) -> None:
    with pytest.raises(InputError, match=r"^backend .* is not accepted; use 'auto', 'cpu' or 'cuda'$"):
        resolve_backend(bad)
    with pytest.raises(InputError, match=r"^--backend .* is not accepted; use auto, cpu or cuda$"):
        resolve_backend(bad, "--backend")
    assert bad not in BACKENDS


def test_map_backend_cuda_without_gpu_is_one_line_naming_the_flag(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setattr(visibility_cuda, "cuda_available", lambda: False)
    out = tmp_path / "map"
    args = ["illumination", "map", "--dem", "builtin:south_pole_240m", "--start", "2028-01-01", "--end",
            "2028-01-02", "--out", str(out), "--backend", "cuda"]  # fmt: skip
    code = main(args)
    stdout, err = capsys.readouterr()
    assert code == 1 and stdout == ""
    line = "--backend cuda was asked for but no usable CUDA GPU was found; use --backend auto or --backend cpu"
    assert err == f"lupex: error: {line}\n"
    assert not out.exists()
