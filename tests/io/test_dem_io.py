"""read_dem: accepted formats, refusals with teaching messages, voids, and atomic writes."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from lupex.errors import DataNotFoundError, DemError
from lupex.io import read_dem, write_geotiff
from lupex.terrain import check_dem, dem_summary
from lupex.terrain.synthetic import bowl_crater
from tests.conftest import one_m

STERE = "+proj=stere +lat_0=-90 +lon_0=0 +k=1 +x_0=0 +y_0=0 +R=1737400 +units=m +no_defs"


def write_tif(path, data, crs=STERE, transform=None, units=None):
    transform = transform or from_origin(-1000.0, 21000.0, 100.0, 100.0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-9999.0,
    ) as dst:
        dst.write(data.astype("float32"), 1)
        if units:
            dst.units = (units,)
    return path


def test_builtin_dem_has_the_documented_grid(dem240):
    s = dem_summary(dem240)
    assert (s.n_rows, s.n_cols, s.res_m) == (1536, 1536, 240.0)
    assert s.height_min_m == pytest.approx(-5490, abs=10 * one_m)  # .source.txt: -5492.5
    assert s.height_max_m == pytest.approx(7020, abs=10 * one_m)  # .source.txt: +7022.7
    assert dem240.dims == ("y", "x") and float(dem240["y"][0]) > float(dem240["y"][-1])


def test_builtin_heights_match_published_landmarks(dem240):
    """Values verified in the PNG's .source.txt: Shackleton floor ~ -2771 m, pole +1273 m."""
    pole = dem240.sel(x=0.0, y=0.0, method="nearest")
    assert float(pole) == pytest.approx(1273.0, abs=60 * one_m)
    # Shackleton's centre, 89.67 S 129.78 E -> x = +7689 m, y = -6404 m
    floor = dem240.sel(x=7689.0, y=-6404.0, method="nearest")
    assert float(floor) == pytest.approx(-2771.0, abs=80 * one_m)


def test_geotiff_round_trip_is_atomic_and_lossless(tmp_path):
    dem = bowl_crater(64, 20.0, 800.0)
    out = write_geotiff(dem, tmp_path / "bowl.tif")
    back = read_dem(out)
    np.testing.assert_allclose(back.values, dem.values, atol=1e-9)
    np.testing.assert_allclose(back["x"].values, dem["x"].values)
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    dem = bowl_crater(16, 20.0, 200.0)
    target = tmp_path / "keep.tif"
    target.write_bytes(b"previous")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rasterio, "open", boom)
    with pytest.raises(RuntimeError):
        write_geotiff(dem, target, cloud_optimized=False)
    assert target.read_bytes() == b"previous"
    assert not list(tmp_path.glob(".*.tmp"))


def test_geographic_crs_is_refused(tmp_path):
    path = write_tif(
        tmp_path / "geo.tif",
        np.zeros((5, 5)),
        crs="+proj=longlat +R=1737400 +no_defs",
        transform=from_origin(0, -80, 0.1, 0.1),
    )
    with pytest.raises(DemError, match=r"geographic CRS in degrees.*gdalwarp -t_srs IAU_2015:30135"):
        read_dem(path)


def test_missing_crs_is_refused(tmp_path):
    path = write_tif(tmp_path / "nocrs.tif", np.zeros((5, 5)), crs=None)
    with pytest.raises(DemError, match="has no CRS"):
        read_dem(path)


def test_non_metre_units_are_refused(tmp_path):
    path = write_tif(tmp_path / "feet.tif", np.zeros((5, 5)), crs=STERE.replace("+units=m", "+units=us-ft"))
    with pytest.raises(DemError, match="not metres"):
        read_dem(path)


def test_height_unit_other_than_metre_is_refused(tmp_path):
    path = write_tif(tmp_path / "km.tif", np.zeros((5, 5)), units="km")
    with pytest.raises(DemError, match="height unit 'km'"):
        read_dem(path)


def test_other_projection_is_refused(tmp_path):
    path = write_tif(tmp_path / "earth.tif", np.zeros((5, 5)), crs="EPSG:3031")
    with pytest.raises(DemError, match="not the lunar south polar stereographic grid"):
        read_dem(path)


def test_non_square_pixels_are_refused(tmp_path):
    transform = rasterio.Affine(100.0, 0, -1000.0, 0, -50.0, 21000.0)
    path = write_tif(tmp_path / "rect.tif", np.zeros((5, 5)), transform=transform)
    with pytest.raises(DemError, match="non-square pixels"):
        read_dem(path)


def test_all_nan_is_refused(tmp_path):
    path = write_tif(tmp_path / "nan.tif", np.full((5, 5), -9999.0))
    with pytest.raises(DemError, match="no valid height"):
        read_dem(path)


def test_voids_are_reported_and_filled_or_kept(tmp_path):
    data = np.add.outer(np.arange(9.0), np.arange(9.0)) * 10.0
    data[3:6, 3:6] = -9999.0
    path = write_tif(tmp_path / "void.tif", data)
    kept = read_dem(path, fill_voids=False)
    assert kept.attrs["void_count"] == 9 and np.isnan(kept.values).sum() == 9
    filled = read_dem(path)
    assert filled.attrs["voids_filled"] and np.isfinite(filled.values).all()
    # harmonic fill reproduces a plane (analytic: a plane solves Laplace's equation)
    expected = np.add.outer(np.arange(3, 6.0), np.arange(3, 6.0)) * 10.0
    np.testing.assert_allclose(filled.values[3:6, 3:6], expected, atol=1e-3 * one_m)


def test_missing_file_and_unknown_builtin(tmp_path):
    with pytest.raises(DataNotFoundError, match="does not exist"):
        read_dem(tmp_path / "nope.tif")
    with pytest.raises(DataNotFoundError, match="available: connecting_ridge_10m"):
        read_dem("builtin:moon")


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.tif"
    path.write_bytes(b"not a tiff")
    with pytest.raises(DataNotFoundError, match="cannot read DEM"):
        read_dem(path)


LOLA_LABEL = """PDS_VERSION_ID            = "PDS3"
RECORD_TYPE               = FIXED_LENGTH
RECORD_BYTES              = {record_bytes}
FILE_RECORDS              = {lines}
^IMAGE                    = "TEST.IMG"
OBJECT                    = IMAGE
  NAME                    = HEIGHT
  LINES                   = {lines}
  LINE_SAMPLES            = {samples}
  MAXIMUM                 = 0
  UNIT                    = METER
  SAMPLE_TYPE             = LSB_INTEGER
  SAMPLE_BITS             = 16
  SCALING_FACTOR          = 0.5
  OFFSET                  = 1737400.
END_OBJECT                = IMAGE
OBJECT                    = IMAGE_MAP_PROJECTION
  ^DATA_SET_MAP_PROJECTION     = "DSMAP_POLAR.CAT"
  MAP_PROJECTION_TYPE          = "POLAR STEREOGRAPHIC"
  A_AXIS_RADIUS                = 1737.4 <KM>
  B_AXIS_RADIUS                = 1737.4 <KM>
  C_AXIS_RADIUS                = 1737.4 <KM>
  CENTER_LATITUDE              = -90.0 <DEG>
  CENTER_LONGITUDE             = 0.0 <DEG>
  MAP_SCALE                    = 120 <METERS/PIXEL>
  LINE_PROJECTION_OFFSET       = {offset} <PIXEL>
  SAMPLE_PROJECTION_OFFSET     = {offset} <PIXEL>
  MAP_PROJECTION_ROTATION      = 0.0
END_OBJECT                = IMAGE_MAP_PROJECTION
END
"""


def test_pds3_lola_product(tmp_path):
    """A LOLA-style LDEM (int16 half-metres, OFFSET = reference radius, polar stereographic)."""
    lines = samples = 8
    dn = (np.arange(64, dtype="<i2").reshape(8, 8) - 30) * 7
    (tmp_path / "TEST.IMG").write_bytes(dn.tobytes())
    (tmp_path / "TEST.LBL").write_text(
        LOLA_LABEL.format(record_bytes=samples * 2, lines=lines, samples=samples, offset=3.5)
    )
    dem = read_dem(tmp_path / "TEST.LBL")
    np.testing.assert_allclose(dem.values, dn * 0.5)
    # projection offset 3.5 px: the pole lies at the corner between the 4 central pixels
    np.testing.assert_allclose(dem["x"].values, (np.arange(8) - 3.5) * 120.0)
    np.testing.assert_allclose(dem["y"].values, -(np.arange(8) - 3.5) * 120.0)
    check_dem(dem)
    truncated = tmp_path / "SHORT.IMG"
    truncated.write_bytes(dn.tobytes()[:50])
    (tmp_path / "SHORT.LBL").write_text(LOLA_LABEL.format(record_bytes=16, lines=8, samples=8, offset=3.5))
    with pytest.raises(DemError, match="truncated"):
        read_dem(truncated)


def test_check_dem_rejects_plain_arrays_and_wrong_dims(dem240):
    with pytest.raises(DemError, match=r"xarray\.DataArray"):
        check_dem(np.zeros((3, 3)))
    with pytest.raises(DemError, match="dims"):
        check_dem(dem240.transpose("x", "y"))


def _lola_label(**fields):
    """LOLA_LABEL for an 8 x 8 product with some keywords replaced by raw text (e.g. MAP_SCALE="ten")."""
    text = LOLA_LABEL.format(record_bytes=16, lines=8, samples=8, offset=3.5)
    for key, value in fields.items():
        text = re.sub(rf"(?m)^(\s*{key}\s*=\s*).*$", lambda m, v=value: m.group(1) + v, text)
    return text


def _write_lola(tmp_path, **fields):
    (tmp_path / "TEST.IMG").write_bytes(np.zeros(64, dtype="<i2").tobytes())
    (tmp_path / "TEST.LBL").write_text(_lola_label(**fields))
    return tmp_path / "TEST.LBL"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("LINES", "eight"),
        ("LINES", "8.5"),
        ("LINE_SAMPLES", "-8"),
        ("SAMPLE_BITS", "sixteen"),
        ("SCALING_FACTOR", "half"),
        ("OFFSET", "N/A"),
        ("A_AXIS_RADIUS", "moon <KM>"),
        ("MAP_SCALE", "ten <METERS/PIXEL>"),
        ("MAP_SCALE", "NaN <METERS/PIXEL>"),
        ("CENTER_LATITUDE", "south"),
        ("LINE_PROJECTION_OFFSET", "3.5.1 <PIXEL>"),
    ],
)
def test_pds3_label_with_a_non_numeric_field_names_it(tmp_path, field, value):
    with pytest.raises(DemError, match=rf"PDS3 label .*TEST\.LBL'?: {field} = .* (number|whole number)"):
        read_dem(_write_lola(tmp_path, **{field: value}))


def test_pds3_declared_size_is_checked_before_reading(tmp_path):
    label = _write_lola(tmp_path, LINES="60000", LINE_SAMPLES="60000")
    with pytest.raises(DemError, match=r"declares 60000 x 60000 = 3,600,000,000 cells, more than the 100,000,000"):
        read_dem(label)
    with pytest.raises(DemError, match=r"declares 8 x 8 = 64 cells, more than the 10 "):
        read_dem(_write_lola(tmp_path), max_cells=10)


def test_geotiff_declared_size_is_checked_before_reading(tmp_path):
    path = write_tif(tmp_path / "small.tif", np.zeros((4, 5)))
    with pytest.raises(DemError, match=r"declares 5 x 4 = 20 cells, more than the 19 lupex reads; crop or resample"):
        read_dem(path, max_cells=19)
    assert read_dem(path, max_cells=20).shape == (4, 5)


def test_raster_without_georeferencing_says_so_with_gdal_warning(tmp_path):
    path = tmp_path / "plain.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rasterio warns that the file it writes is not georeferenced
        with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as dst:
            dst.write(np.ones((4, 4), dtype="float32"), 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DemError, match=r"has no georeferencing .*\(GDAL warned: Dataset has no geotransform"):
            read_dem(path)
    assert not caught  # the warning is part of the message, not emitted as well


@pytest.mark.parametrize(
    ("crs", "needle"),
    [
        ("EPSG:4326", "geographic CRS in degrees"),
        ("EPSG:3031", "not the lunar south polar stereographic grid"),
        ("not a crs at all", "PROJ cannot read"),
        ("", "has no CRS"),
    ],
)
def test_a_dem_array_with_a_wrong_crs_is_refused_each_time(crs, needle):
    # the verdict is cached per CRS text: the second check of the same text must refuse it just the same
    dem = read_dem("builtin:south_pole_240m").isel(y=slice(0, 8), x=slice(0, 8))
    check_dem(dem)  # the bundled grid's CRS passes
    bad = dem.copy()
    bad.attrs["crs"] = crs
    for _ in range(2):
        with pytest.raises(DemError, match=needle):
            check_dem(bad)
    check_dem(dem)
