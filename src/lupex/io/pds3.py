"""Minimal reader for PDS3 labelled raster products (LOLA LDEM IMG + LBL).

Only what LOLA gridded data records use: a detached or attached label with an ``IMAGE`` object
(``LINES``, ``LINE_SAMPLES``, ``SAMPLE_TYPE``, ``SAMPLE_BITS``, ``SCALING_FACTOR``, ``OFFSET``,
``UNIT``) and an ``IMAGE_MAP_PROJECTION`` object (``MAP_PROJECTION_TYPE``, ``A_AXIS_RADIUS``,
``CENTER_LATITUDE``, ``CENTER_LONGITUDE``, ``MAP_SCALE``, ``LINE_PROJECTION_OFFSET``,
``SAMPLE_PROJECTION_OFFSET``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lupex.errors import DataNotFoundError, DemError

#: Most cells a raster may declare before lupex reads it (10000 x 10000; 0.8 GB of float64 heights).
MAX_DEM_CELLS = 100_000_000

_ASSIGN = re.compile(r"^\s*(\^?[A-Z0-9_:]+)\s*=\s*(.*?)\s*$")
_SAMPLE_TYPES = {
    ("LSB_INTEGER", 16): "<i2",
    ("MSB_INTEGER", 16): ">i2",
    ("LSB_UNSIGNED_INTEGER", 16): "<u2",
    ("MSB_UNSIGNED_INTEGER", 16): ">u2",
    ("LSB_INTEGER", 32): "<i4",
    ("MSB_INTEGER", 32): ">i4",
    ("PC_REAL", 32): "<f4",
    ("IEEE_REAL", 32): ">f4",
    ("PC_REAL", 64): "<f8",
    ("IEEE_REAL", 64): ">f8",
}

_EXAMPLES = {
    "LINES": "1536",
    "LINE_SAMPLES": "1536",
    "SAMPLE_BITS": "16",
    "RECORD_BYTES": "3072",
    "SCALING_FACTOR": "0.5",
    "OFFSET": "1737400.",
    "MISSING_CONSTANT": "-32768",
    "A_AXIS_RADIUS": "1737.4 <KM>",
    "MAP_SCALE": "240 <METERS/PIXEL>",
    "CENTER_LATITUDE": "-90.0 <DEG>",
    "CENTER_LONGITUDE": "0.0 <DEG>",
    "LINE_PROJECTION_OFFSET": "767.5 <PIXEL>",
    "SAMPLE_PROJECTION_OFFSET": "767.5 <PIXEL>",
}


@dataclass(frozen=True)
class Pds3Raster:
    """Decoded PDS3 raster: heights [m], grid and projection keywords."""

    height_m: np.ndarray
    x0_m: float
    y0_m: float
    res_m: float
    projection_type: str
    radius_m: float
    center_lat_deg: float
    center_lon_deg: float
    unit: str


def _parse_label(text: str) -> dict[str, dict[str, str]]:
    """Return ``{object_name: {keyword: value}}``; top-level keywords go under ``""``."""
    objects: dict[str, dict[str, str]] = {"": {}}
    stack = [""]
    for line in text.splitlines():
        if line.strip() == "END":
            break
        match = _ASSIGN.match(line)
        if not match:
            continue
        key, value = match.group(1), match.group(2).strip().strip('"')
        if key == "OBJECT":
            stack.append(value)
            objects.setdefault(value, {})
        elif key == "END_OBJECT":
            if len(stack) > 1:
                stack.pop()
        else:
            objects[stack[-1]][key] = value
    return objects


def _number(value: str | None, what: str, path: Path, default: float | None = None) -> float:
    """A numeric keyword (units in ``<...>`` dropped); a missing, non-numeric or non-finite one is a DemError."""
    if value is None:
        if default is not None:
            return default
        raise DemError(f"PDS3 label {str(path)!r} lacks {what}; it is not a map-projected LOLA grid")
    text = value.split("<")[0].strip()
    try:
        number = float(text)
    except ValueError:
        raise DemError(
            f"PDS3 label {str(path)!r}: {what} = {value!r} is not a number; fix the label (LOLA labels give e.g. "
            f"{what} = {_EXAMPLES.get(what, '1')})"
        ) from None
    if not math.isfinite(number):
        raise DemError(f"PDS3 label {str(path)!r}: {what} = {value!r} is not a finite number; fix the label")
    return number


def _count(value: str | None, what: str, path: Path) -> int:
    """A positive whole-number keyword (``LINES``, ``LINE_SAMPLES``, ``SAMPLE_BITS``, ``RECORD_BYTES``)."""
    number = _number(value, what, path)
    if number != int(number) or number < 1:
        raise DemError(f"PDS3 label {str(path)!r}: {what} = {value!r} must be a positive whole number; fix the label")
    return int(number)


def _read_label(path: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    """The label's path (detached ``.LBL``/``.lbl`` beside an IMG, else the file itself) and its objects."""
    label_path = path
    if path.suffix.lower() == ".img":
        for suffix in (".LBL", ".lbl"):
            if path.with_suffix(suffix).exists():
                label_path = path.with_suffix(suffix)
                break
    try:
        with open(label_path, "rb") as handle:  # an attached label is at the start of a possibly huge file
            head = handle.read(200_000).decode("latin-1")
    except OSError as err:
        raise DataNotFoundError(f"cannot read PDS3 label {str(label_path)!r}: {err.strerror}") from err
    return label_path, _parse_label(head)


def _image_offset(top: dict[str, str], path: Path, label_path: Path) -> int:
    """Byte offset of the image in ``path``: 0 for a detached label, else from ``^IMAGE`` (a record number)."""
    if label_path != path:
        return 0
    pointer = top.get("^IMAGE", "")
    if not pointer:
        return 0
    record_bytes = _count(top.get("RECORD_BYTES"), "RECORD_BYTES", label_path)
    return (_count(pointer.split()[0], "^IMAGE", label_path) - 1) * record_bytes


def _projection(proj: dict[str, str], label_path: Path) -> dict[str, float]:
    """Grid and projection numbers of an ``IMAGE_MAP_PROJECTION`` object, as :class:`Pds3Raster` fields."""
    res = _number(proj.get("MAP_SCALE"), "MAP_SCALE", label_path)
    if "KM" in proj.get("MAP_SCALE", "").upper():
        res *= 1000.0
    if res <= 0:
        raise DemError(
            f"PDS3 label {str(label_path)!r}: MAP_SCALE = {proj.get('MAP_SCALE')!r} must be positive; fix the label"
        )
    line_off = _number(proj.get("LINE_PROJECTION_OFFSET"), "LINE_PROJECTION_OFFSET", label_path)
    sample_off = _number(proj.get("SAMPLE_PROJECTION_OFFSET"), "SAMPLE_PROJECTION_OFFSET", label_path)
    # centre of pixel (line=1, sample=1): x = -sample_off * res, y = +line_off * res
    return {
        "x0_m": (-sample_off - 0.5) * res,
        "y0_m": (line_off + 0.5) * res,
        "res_m": res,
        "radius_m": _number(proj.get("A_AXIS_RADIUS"), "A_AXIS_RADIUS", label_path) * 1000.0,
        "center_lat_deg": _number(proj.get("CENTER_LATITUDE"), "CENTER_LATITUDE", label_path),
        "center_lon_deg": _number(proj.get("CENTER_LONGITUDE"), "CENTER_LONGITUDE", label_path),
    }


def read_pds3(path: str | Path, *, max_cells: int = MAX_DEM_CELLS) -> Pds3Raster:
    """Read a PDS3 IMG (with ``.LBL``/``.lbl`` beside it, or an attached label).

    Heights are ``DN * SCALING_FACTOR`` when ``OFFSET`` equals the 1737.4 km reference radius
    (LOLA stores heights relative to that sphere and puts the radius in ``OFFSET``); otherwise
    ``DN * SCALING_FACTOR + OFFSET``. Pixel centres follow the PDS polar-stereographic convention
    ``x = (sample - SAMPLE_PROJECTION_OFFSET - 1) * MAP_SCALE``, ``y = -(line - LINE_PROJECTION_OFFSET - 1)
    * MAP_SCALE`` for 1-based ``line``/``sample``.

    Parameters
    ----------
    path : str or Path
        The ``.IMG`` (or a file with an attached label).
    max_cells : int, default :data:`MAX_DEM_CELLS`
        Largest ``LINES x LINE_SAMPLES`` accepted, checked before the image is read.

    Raises
    ------
    DemError
        A label that lacks a keyword, gives a non-numeric value where a number is expected (the message names
        the keyword), declares more than ``max_cells`` cells, or does not match the image size.
    DataNotFoundError
        An unreadable label or image.
    """
    path = Path(path)
    label_path, label = _read_label(path)
    image = label.get("IMAGE")
    proj = label.get("IMAGE_MAP_PROJECTION")
    if image is None or proj is None:
        raise DemError(f"{str(label_path)!r} has no IMAGE and IMAGE_MAP_PROJECTION objects; not a LOLA DEM label")
    lines = _count(image.get("LINES"), "LINES", label_path)
    samples = _count(image.get("LINE_SAMPLES"), "LINE_SAMPLES", label_path)
    bits = _count(image.get("SAMPLE_BITS"), "SAMPLE_BITS", label_path)
    stype = image.get("SAMPLE_TYPE", "")
    dtype = _SAMPLE_TYPES.get((stype, bits))
    if dtype is None:
        raise DemError(f"{str(label_path)!r}: unsupported SAMPLE_TYPE {stype!r} with SAMPLE_BITS {bits}")
    count = lines * samples
    if count > max_cells:
        raise DemError(
            f"PDS3 label {str(label_path)!r} declares {lines} x {samples} = {count:,} cells, more than the "
            f"{max_cells:,} lupex reads; crop or resample the product first"
        )
    offset_bytes = _image_offset(label[""], path, label_path)
    scale = _number(image.get("SCALING_FACTOR"), "SCALING_FACTOR", label_path, 1.0)
    offset = _number(image.get("OFFSET"), "OFFSET", label_path, 0.0)
    missing = image.get("MISSING_CONSTANT")
    missing_dn = None if missing is None else _number(missing, "MISSING_CONSTANT", label_path)
    grid = _projection(proj, label_path)
    try:
        raw = np.fromfile(path, dtype=np.dtype(dtype), count=count, offset=offset_bytes)
    except OSError as err:
        raise DataNotFoundError(f"cannot read PDS3 image {str(path)!r}: {err.strerror}") from err
    if raw.size != count:
        raise DemError(
            f"{str(path)!r} holds {raw.size} samples but its label declares {lines} x {samples}; "
            "the file is truncated or the label belongs to another product"
        )
    if abs(offset - grid["radius_m"]) < 1.0 or abs(offset - 1_737_400.0) < 1.0:
        offset = 0.0  # LOLA: OFFSET is the reference radius, DN * scale is already the height
    height = raw.reshape(lines, samples).astype(np.float64) * scale + offset
    if missing_dn is not None:
        height[raw.reshape(lines, samples) == missing_dn] = np.nan
    return Pds3Raster(
        height_m=height,
        projection_type=proj.get("MAP_PROJECTION_TYPE", ""),
        unit=image.get("UNIT", "METER"),
        **grid,
    )
