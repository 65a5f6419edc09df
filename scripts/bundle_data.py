"""Build ``src/lupex/data/`` from the original files in ``../shared/data`` (developer tool, not shipped).

The DEMs are re-encoded *losslessly* from the original 16-bit R/G PNGs: the 16-bit code
``n16 = R*256 + G`` is stored as a uint16 GeoTIFF (DEFLATE, horizontal predictor) with the
decoding ``h = offset + scale * n16`` in the band's scale/offset, and the grid of the
``.source.txt`` with the CRS IAU_2015:30135. The SPICE orientation kernels are copied unchanged.

Run:  .venv/bin/python scripts/bundle_data.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from rasterio.crs import CRS
from rasterio.transform import from_origin

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "lupex" / "data"

# name -> (source png, HMIN, HMAX, x_left, y_top, pixel size)  (values from each PNG's .source.txt)
DEMS = {
    "south_pole_240m": ("LDEM_75S_120M_pole_240m_height_rg.png", -5499.0, 7025.0, -184320.0, 184320.0, 240.0),
    "connecting_ridge_10m": ("Site01_connecting_ridge_10m_height_rg.png", -523.2, 1959.5, -19000.0, -4000.0, 10.0),
    "far_field_1787m": (
        "LDEM_75S_120M_far_1787m_feathered_height_rg.png",
        -6829.5,
        7025.0,
        -457440.0,
        457440.0,
        1786.875,
    ),
}
KERNELS = ["moon_pa_de421_1900-2050.bpc", "moon_080317.tf", "pck00011.tpc"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    crs = CRS.from_user_input("IAU_2015:30135")
    for name, (png, hmin, hmax, x0, y0, res) in DEMS.items():
        rgb = np.asarray(Image.open(args.shared / png).convert("RGB")).astype(np.uint32)
        if np.any(rgb[..., 2]):
            raise SystemExit(f"{png}: blue channel is not zero; not an R/G height PNG")
        n16 = (rgb[..., 0] * 256 + rgb[..., 1]).astype(np.uint16)
        height, width = n16.shape
        scale = (hmax - hmin) / 65535.0
        path = OUT / f"{name}.tif"
        profile = {
            "driver": "GTiff",
            "width": width,
            "height": height,
            "count": 1,
            "dtype": "uint16",
            "crs": crs,
            "transform": from_origin(x0, y0, res, res),
            "compress": "deflate",
            "predictor": 2,
            "zlevel": 9,
            "tiled": True,
            "blockxsize": 256,
            "blockysize": 256,
        }
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(n16, 1)
            dst.scales = (scale,)
            dst.offsets = (hmin,)
            dst.units = ("metre",)
            dst.update_tags(
                SOURCE=png,
                HEIGHT_REFERENCE="metres above the 1737400 m sphere, MOON_ME frame",
                DECODING=f"h = {hmin} + n16 * ({hmax} - {hmin}) / 65535",
            )
        print(f"{path.name}: {width}x{height} @ {res} m, {path.stat().st_size / 1e6:.2f} MB, sha256 {sha256(path)}")
    for kernel in KERNELS:
        shutil.copyfile(args.shared / "spice" / kernel, OUT / kernel)
        print(f"{kernel}: sha256 {sha256(OUT / kernel)}")


if __name__ == "__main__":
    main()
