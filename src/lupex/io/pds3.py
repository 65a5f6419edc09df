"""Minimal reader for PDS3 labelled raster products (LOLA LDEM IMG + LBL).

Only what LOLA gridded data records use: a detached or attached label with an ``IMAGE`` object
(``LINES``, ``LINE_SAMPLES``, ``SAMPLE_TYPE``, ``SAMPLE_BITS``, ``SCALING_FACTOR``, ``OFFSET``,
``UNIT``) and an ``IMAGE_MAP_PROJECTION`` object (``MAP_PROJECTION_TYPE``, ``A_AXIS_RADIUS``,
``CENTER_LATITUDE``, ``CENTER_LONGITUDE``, ``MAP_SCALE``, ``LINE_PROJECTION_OFFSET``,
``SAMPLE_PROJECTION_OFFSET``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lupex.errors import DataNotFoundError, DemError

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


def _number(value: str | None, what: str, path: Path) -> float:
    if value is None:
        raise DemError(f"PDS3 label {str(path)!r} lacks {what}; it is not a map-projected LOLA grid")
    return float(value.split("<")[0].strip())


def read_pds3(path: str | Path) -> Pds3Raster:
    """Read a PDS3 IMG (with ``.LBL``/``.lbl`` beside it, or an attached label).

    Heights are ``DN * SCALING_FACTOR`` when ``OFFSET`` equals the 1737.4 km reference radius
    (LOLA stores heights relative to that sphere and puts the radius in ``OFFSET``); otherwise
    ``DN * SCALING_FACTOR + OFFSET``. Pixel centres follow the PDS polar-stereographic convention
    ``x = (sample - SAMPLE_PROJECTION_OFFSET - 1) * MAP_SCALE``, ``y = -(line - LINE_PROJECTION_OFFSET - 1)
    * MAP_SCALE`` for 1-based ``line``/``sample``.
    """
    path = Path(path)
    label_path = path
    if path.suffix.lower() == ".img":
        for suffix in (".LBL", ".lbl"):
            if path.with_suffix(suffix).exists():
                label_path = path.with_suffix(suffix)
                break
    try:
        head = label_path.read_bytes()[:200_000].decode("latin-1")
    except OSError as err:
        raise DataNotFoundError(f"cannot read PDS3 label {str(label_path)!r}: {err.strerror}") from err
    label = _parse_label(head)
    top = label[""]
    image = label.get("IMAGE")
    proj = label.get("IMAGE_MAP_PROJECTION")
    if image is None or proj is None:
        raise DemError(f"{str(label_path)!r} has no IMAGE and IMAGE_MAP_PROJECTION objects; not a LOLA DEM label")
    lines = int(_number(image.get("LINES"), "LINES", label_path))
    samples = int(_number(image.get("LINE_SAMPLES"), "LINE_SAMPLES", label_path))
    bits = int(_number(image.get("SAMPLE_BITS"), "SAMPLE_BITS", label_path))
    stype = image.get("SAMPLE_TYPE", "")
    dtype = _SAMPLE_TYPES.get((stype, bits))
    if dtype is None:
        raise DemError(f"{str(label_path)!r}: unsupported SAMPLE_TYPE {stype!r} with SAMPLE_BITS {bits}")
    pointer = top.get("^IMAGE", "")
    if label_path == path:  # attached label: pointer is a record number
        record_bytes = int(_number(top.get("RECORD_BYTES"), "RECORD_BYTES", label_path))
        offset_bytes = (int(pointer.split()[0]) - 1) * record_bytes if pointer else 0
        data_path = path
    else:
        data_path = path
        offset_bytes = 0
    count = lines * samples
    try:
        raw = np.fromfile(data_path, dtype=np.dtype(dtype), count=count, offset=offset_bytes)
    except OSError as err:
        raise DataNotFoundError(f"cannot read PDS3 image {str(data_path)!r}: {err.strerror}") from err
    if raw.size != count:
        raise DemError(
            f"{str(data_path)!r} holds {raw.size} samples but its label declares {lines} x {samples}; "
            "the file is truncated or the label belongs to another product"
        )
    scale = float(image.get("SCALING_FACTOR", "1").split("<")[0])
    offset = float(image.get("OFFSET", "0").split("<")[0])
    radius_m = _number(proj.get("A_AXIS_RADIUS"), "A_AXIS_RADIUS", label_path) * 1000.0
    if abs(offset - radius_m) < 1.0 or abs(offset - 1_737_400.0) < 1.0:
        offset = 0.0  # LOLA: OFFSET is the reference radius, DN * scale is already the height
    height = raw.reshape(lines, samples).astype(np.float64) * scale + offset
    missing = image.get("MISSING_CONSTANT")
    if missing is not None:
        height[raw.reshape(lines, samples) == float(missing.split("<")[0])] = np.nan
    res = _number(proj.get("MAP_SCALE"), "MAP_SCALE", label_path)
    unit_text = proj.get("MAP_SCALE", "")
    if "KM" in unit_text.upper():
        res *= 1000.0
    line_off = _number(proj.get("LINE_PROJECTION_OFFSET"), "LINE_PROJECTION_OFFSET", label_path)
    sample_off = _number(proj.get("SAMPLE_PROJECTION_OFFSET"), "SAMPLE_PROJECTION_OFFSET", label_path)
    # centre of pixel (line=1, sample=1): x = -sample_off * res, y = +line_off * res
    x0 = (-sample_off - 0.5) * res
    y0 = (line_off + 0.5) * res
    return Pds3Raster(
        height_m=height,
        x0_m=x0,
        y0_m=y0,
        res_m=res,
        projection_type=proj.get("MAP_PROJECTION_TYPE", ""),
        radius_m=radius_m,
        center_lat_deg=_number(proj.get("CENTER_LATITUDE"), "CENTER_LATITUDE", label_path),
        center_lon_deg=_number(proj.get("CENTER_LONGITUDE"), "CENTER_LONGITUDE", label_path),
        unit=image.get("UNIT", "METER"),
    )
