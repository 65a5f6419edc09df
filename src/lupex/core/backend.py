"""Which kernel backend a call runs on: the one place that reads a ``backend`` choice ("auto", "cpu", "cuda").

"auto" takes the CUDA kernels where ``lupex[gpu]`` is installed and numba.cuda sees a usable device (or runs its
simulator), else the numba CPU kernels; "cuda" insists on a GPU and says so when none is usable.
"""

from __future__ import annotations

from typing import Literal

from lupex.errors import InputError, LupexError

__all__ = ["BACKENDS", "resolve_backend"]

#: The accepted backend choices.
BACKENDS = ("auto", "cpu", "cuda")


def resolve_backend(backend: str, flag: str | None = None) -> Literal["cpu", "cuda"]:
    """The backend a ``backend`` choice runs on: "cpu" or "cuda".

    Parameters
    ----------
    backend : {"auto", "cpu", "cuda"}
        The choice.
    flag : str, optional
        The command-line flag the choice came from (e.g. ``"--backend"``); the errors then name it instead of the
        Python argument.

    Raises
    ------
    InputError
        ``backend`` is not one of :data:`BACKENDS`.
    LupexError
        "cuda" was asked for and no usable CUDA GPU was found.
    """
    if backend not in BACKENDS:
        if flag:
            raise InputError(f"{flag} {backend!r} is not accepted; use auto, cpu or cuda")
        raise InputError(f"backend {backend!r} is not accepted; use 'auto', 'cpu' or 'cuda'")
    if backend == "cpu":
        return "cpu"
    from lupex.core.visibility_cuda import cuda_available  # imports numba.cuda: only when it matters

    if cuda_available():
        return "cuda"
    if backend == "cuda":
        fix = f"use {flag} auto or {flag} cpu" if flag else "use backend='cpu'"
        shown = f"{flag} cuda" if flag else "backend 'cuda'"
        raise LupexError(f"{shown} was asked for but no usable CUDA GPU was found; {fix}")
    return "cpu"
