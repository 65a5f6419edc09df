"""The scenario parameter type: ``{value, unit, source, confidence}`` with its checks (pydantic v2 + pint).

A section of a scenario is a pydantic model whose fields are :class:`Parameter` annotated with a check:
:func:`number` (converted by pint to the parameter's canonical unit and range-checked), :func:`text`,
:func:`choice` or :func:`instant`. A failing check names the part of the parameter that is wrong (``value``,
``unit`` or ``source``), so the error's path reads ``rover.battery_Wh.unit``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, model_validator
from pydantic_core import PydanticCustomError

from lupex.errors import InputError
from lupex.units import UnitError, canonical_value, format_unit

__all__ = ["CONFIDENCES", "Confidence", "Parameter", "SectionModel", "choice", "instant", "number", "text"]

Confidence = Literal["published", "estimate", "placeholder"]
CONFIDENCES: tuple[str, ...] = ("published", "estimate", "placeholder")
_KEYS = ("value", "unit", "source", "confidence")


def _fail(part: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("lupex", "{message}", {"part": part, "message": message})


class Parameter(BaseModel):
    """One scenario parameter.

    Attributes
    ----------
    value : float, int or str
        After validation, in the canonical unit ``unit`` (numbers), or the checked text / ISO UTC instant.
    unit : str
        The canonical unit (the suffix of the parameter's name: ``Wh``, ``m/s``, ``deg``; ``1`` a fraction).
    source : str
        Citation (required unless the confidence is ``placeholder``).
    confidence : {"published", "estimate", "placeholder"}
    given : str
        The value as written when it was converted (``"3 kWh"``); empty when given in the canonical unit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Any
    unit: StrictStr = ""
    source: StrictStr = ""
    confidence: Confidence = "placeholder"
    given: str = ""

    @model_validator(mode="before")
    @classmethod
    def _only_documented_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise _fail("", 'must be a table { value = ..., unit = "...", source = "...", confidence = "..." }')
        extra = sorted(set(data) - set(_KEYS))
        if extra:
            raise _fail(str(extra[0]), "unknown key; use value, unit, source, confidence")
        return data

    @model_validator(mode="after")
    def _source_for_claims(self) -> Parameter:
        if self.confidence != "placeholder" and not self.source.strip():
            raise _fail("source", f"a {self.confidence} value needs a source (a citation string)")
        return self


class SectionModel(BaseModel):
    """Base of the scenario sections: unknown parameters are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def values(self) -> dict[str, Any]:
        """Canonical values of the parameters set in this section, by name."""
        return {k: p.value for k, p in self.parameters().items()}

    def parameters(self) -> dict[str, Parameter]:
        """The parameters set in this section (unset optional ones left out), by name."""
        return {k: v for k, v in self if isinstance(v, Parameter)}


def _range_text(low: float, high: float, unit: str) -> str:
    shown = format_unit(unit) if unit else ""
    return f"{low:g}..{high:g}{' ' + shown if shown else ''}"


def number(unit: str, low: float, high: float, *, integer: bool = False) -> AfterValidator:
    """Check: a finite number in ``unit`` (any unit pint converts to it), within ``[low, high]`` there."""

    def check(p: Parameter | None) -> Parameter | None:
        if p is None:
            return None
        accepted = f"{'an integer' if integer else 'a number'} in {_range_text(low, high, unit)}"
        v = p.value
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail("value", f"{v!r} is not accepted; give {accepted}")
        try:
            c = canonical_value(v, p.unit, unit)
        except UnitError as err:
            raise _fail("unit", f"{err}") from None
        if integer and c != int(c):
            raise _fail("value", f"{v!r} is not accepted; give {accepted}")
        converted = p.unit.strip() not in ("", unit) and not math.isclose(c, float(v))
        if not low <= c <= high:
            shown = f"{v!r} {p.unit} = {c:g} {unit}" if converted else f"{v!r}"
            raise _fail("value", f"{shown} is outside the accepted range; give {accepted}")
        given = f"{v:g} {p.unit}" if converted else ""
        return p.model_copy(update={"value": int(c) if integer else c, "unit": unit, "given": given})

    return AfterValidator(check)


def _plain(p: Parameter | None, check: Callable[[Any], str | None], unit_ok: tuple[str, ...]) -> Parameter | None:
    if p is None:
        return None
    problem = check(p.value)
    if problem is not None:
        raise _fail("value", f"{p.value!r} is not accepted; give {problem}")
    if p.unit.strip() not in unit_ok:
        raise _fail("unit", f"{p.unit!r} is not accepted here; use {' or '.join(repr(u) for u in unit_ok)}")
    return p


def text() -> AfterValidator:
    """Check: a non-empty string (unit ``""``)."""

    def check(p: Parameter | None) -> Parameter | None:
        return _plain(p, lambda v: None if isinstance(v, str) and v.strip() else "a non-empty string", ("",))

    return AfterValidator(check)


def choice(*options: str) -> AfterValidator:
    """Check: one of ``options`` (unit ``""``)."""

    def check(p: Parameter | None) -> Parameter | None:
        return _plain(p, lambda v: None if v in options else f"one of {', '.join(options)}", ("",))

    return AfterValidator(check)


def instant() -> AfterValidator:
    """Check: a UTC instant (ISO 8601 with ``Z``, a date alone, or a TOML date-time with an offset), unit UTC.

    The value is stored as ISO 8601 UTC text (``2027-12-29T00:00:00Z``).
    """

    def check(p: Parameter | None) -> Parameter | None:
        from lupex.ephemeris import format_utc, parse_time

        if p is None:
            return None
        if isinstance(p.value, bool) or not isinstance(p.value, (str, dt.date)):
            raise _fail("value", f"{p.value!r} is not a time; give an ISO 8601 UTC instant, e.g. 2028-01-01T00:00:00Z")
        try:
            t = parse_time(p.value, "the time")
        except InputError as err:
            raise _fail("value", str(err)) from None
        _plain(p, lambda v: None, ("", "UTC"))
        return p.model_copy(update={"value": format_utc(t), "unit": "UTC"})

    return AfterValidator(check)
