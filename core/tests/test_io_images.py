"""Fields and volumes from TIFF, OME-TIFF, ImageJ TIFF and OME-Zarr: any axis order to
(T, C, [D,] H, W), pixel sizes and channel names kept, lazy reading, atomic writers that
round-trip, and one clear error per bad file."""

import os

import numpy as np
import pytest

from morphospace.core.errors import InputError
from morphospace.core.io import read_image, write_image

tifffile = pytest.importorskip("tifffile")


def test_an_ome_tiff_in_any_axis_order_becomes_time_channel_depth_height_width(tmp_path):
    pixels = np.arange(3 * 5 * 2 * 6 * 7, dtype=np.uint16).reshape(3, 5, 2, 6, 7)  # TZCYX
    tifffile.imwrite(
        tmp_path / "a.ome.tif",
        pixels,
        ome=True,
        metadata={
            "axes": "TZCYX",
            "PhysicalSizeX": 0.2,
            "PhysicalSizeY": 0.25,
            "PhysicalSizeZ": 1.0,
            "Channel": {"Name": ["DNA", "Actin"]},
        },
    )
    adata = read_image(tmp_path / "a.ome.tif")
    volume = adata.obsm["volume"]
    assert volume.shape == (3, 2, 5, 6, 7) and volume.dtype == np.uint16
    np.testing.assert_array_equal(volume, pixels.transpose(0, 2, 1, 3, 4))
    info = adata.uns["image"]
    assert info["pixel_size"] == {"z": 1.0, "y": 0.25, "x": 0.2}
    assert info["channel_names"] == ["DNA", "Actin"] and info["axes"] == "TZCYX"
    assert adata.obs_names.tolist() == ["t0", "t1", "t2"]


def test_imagej_hyperstacks_rgb_and_plain_pages(tmp_path):
    stack = np.zeros((4, 2, 8, 9), np.uint8)  # ZCYX
    tifffile.imwrite(
        tmp_path / "ij.tif",
        stack,
        imagej=True,
        resolution=(1 / 0.3, 1 / 0.3),
        metadata={"spacing": 2.0, "unit": "um", "axes": "ZCYX"},
    )
    ij = read_image(tmp_path / "ij.tif")
    assert ij.obsm["volume"].shape == (1, 2, 4, 8, 9)
    assert ij.uns["image"]["pixel_size"] == pytest.approx({"z": 2.0, "y": 0.3, "x": 0.3})
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((8, 9, 3), np.uint8), photometric="rgb")
    assert read_image(tmp_path / "rgb.tif").obsm["image"].shape == (1, 3, 8, 9)
    tifffile.imwrite(tmp_path / "pages.tif", np.zeros((5, 8, 9), np.float32))
    as_volume = read_image(tmp_path / "pages.tif", axes="ZYX")
    assert as_volume.obsm["volume"].shape == (1, 1, 5, 8, 9)
    as_time = read_image(tmp_path / "pages.tif", axes="TYX")
    assert as_time.obsm["image"].shape == (5, 1, 8, 9) and as_time.n_obs == 5


def test_lazy_reading_gives_the_same_pixels_chunk_by_chunk(tmp_path):
    pytest.importorskip("dask")
    pixels = np.random.default_rng(0).integers(0, 999, (2, 3, 16, 16), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "big.tif", pixels, ome=True, metadata={"axes": "CZYX"})
    lazy = read_image(tmp_path / "big.tif", lazy=True)
    volume = lazy.obsm["volume"]
    assert type(volume).__module__.startswith("dask")
    np.testing.assert_array_equal(np.asarray(volume), pixels[None])


@pytest.mark.parametrize("suffix", [".ome.tif", ".zarr"])
def test_write_then_read_round_trips_pixels_and_metadata(tmp_path, suffix):
    if suffix == ".zarr":
        pytest.importorskip("zarr")
    labels = np.random.default_rng(1).integers(0, 5, (2, 4, 10, 12)).astype(np.int32)
    path = write_image(
        tmp_path / f"labels{suffix}",
        labels,
        axes="CZYX",
        pixel_size={"z": 1.0, "y": 0.5, "x": 0.5},
        channel_names=["level1", "level2"],
    )
    back = read_image(path)
    np.testing.assert_array_equal(np.asarray(back.obsm["volume"][0]), labels)
    assert back.obsm["volume"].dtype == np.int32
    assert back.uns["image"]["pixel_size"] == {"z": 1.0, "y": 0.5, "x": 0.5}
    assert back.uns["image"]["channel_names"] == ["level1", "level2"]
    with pytest.raises(InputError, match="does not overwrite"):
        write_image(path, labels, axes="CZYX")
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(tifffile, "imwrite", broken)
    with pytest.raises(OSError, match="disk full"):
        write_image(tmp_path / "x.tif", np.zeros((4, 4)), axes="YX")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (lambda p: p.write_bytes(b"II*\x00" + b"\x00" * 4), {}, "not a readable TIFF"),
        (lambda p: p.write_bytes(b"not a tiff at all"), {}, "not a readable TIFF"),
        (lambda p: tifffile.imwrite(p, np.zeros((5, 8, 9))), {"axes": "ZYXC"}, "name 4 axes"),
        (lambda p: tifffile.imwrite(p, np.zeros((5, 8, 9))), {"axes": "QYX"}, "unknown axes Q"),
        (lambda p: tifffile.imwrite(p, np.zeros((5, 8, 9))), {"axes": "ZYZ"}, "no Y and X|repeat"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path, make, kwargs, message):
    path = tmp_path / "bad.tif"
    make(path)
    with pytest.raises(InputError, match=message):
        read_image(path, **kwargs)


def test_missing_files_other_formats_and_plain_zarr_groups_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such image"):
        read_image(tmp_path / "missing.tif")
    (tmp_path / "notes.csv").write_text("a\n")
    with pytest.raises(InputError, match="expected a .tif/.tiff file or an OME-Zarr folder"):
        read_image(tmp_path / "notes.csv")
    zarr = pytest.importorskip("zarr")
    zarr.open_group(str(tmp_path / "plain.zarr"), mode="w")
    with pytest.raises(InputError, match="without OME 'multiscales'"):
        read_image(tmp_path / "plain.zarr")
    with pytest.raises(InputError, match="axes 'CYX'"):
        write_image(tmp_path / "x.tif", np.zeros((4, 4)), axes="CYX")


@pytest.mark.parametrize("key", ["../secret.zarr/0", "/abs", "./0", "missing"])
def test_an_ome_zarr_cannot_point_outside_itself_or_at_nothing(tmp_path, key):
    """A hostile multiscales ``path`` must not make morphospace read another folder."""
    zarr = pytest.importorskip("zarr")
    secret = zarr.open_group(str(tmp_path / "secret.zarr"), mode="w", zarr_format=2)
    secret.create_array("0", shape=(4, 4), dtype="u1")[...] = 7
    evil = zarr.open_group(str(tmp_path / "evil.zarr"), mode="w", zarr_format=2)
    evil.attrs["multiscales"] = [
        {"version": "0.4", "axes": [{"name": "y"}, {"name": "x"}], "datasets": [{"path": key}]}
    ]
    with pytest.raises(InputError, match="not a plain key|does not hold"):
        read_image(tmp_path / "evil.zarr")


def test_a_multi_file_ome_tiff_does_not_make_morphospace_read_other_files(tmp_path):
    """OME-XML may place pixels in other files (TiffData/UUID FileName): not followed."""
    tifffile.imwrite(tmp_path / "secret.ome.tif", np.full((4, 4), 7, np.uint8), ome=True)
    tifffile.imwrite(tmp_path / "evil.ome.tif", np.zeros((4, 4), np.uint8), ome=True)
    with tifffile.TiffFile(tmp_path / "evil.ome.tif") as tif:
        xml = tif.ome_metadata
    hostile = xml.replace(
        "</Pixels>",
        '<TiffData IFD="0" PlaneCount="1"><UUID FileName="../secret.ome.tif">'
        "urn:uuid:0</UUID></TiffData></Pixels>",
    )
    tifffile.imwrite(
        tmp_path / "evil2.ome.tif", np.zeros((4, 4), np.uint8), description=hostile, metadata=None
    )
    with pytest.raises(InputError, match=r"multi-file OME-TIFF.*secret.ome.tif"):
        read_image(tmp_path / "evil2.ome.tif")


@pytest.mark.parametrize("name", ["labels.ome.tif", "labels.ome.zarr"])
def test_written_images_get_the_permissions_of_a_new_file(tmp_path, name):
    """Written through a private temporary (mkstemp is 0600), the file must still be
    readable by whoever the user's umask lets read new files."""
    import stat

    pytest.importorskip("zarr")
    path = write_image(tmp_path / name, np.zeros((4, 4), np.uint8), axes="YX")
    mask = os.umask(0)
    os.umask(mask)
    expected = (0o777 if path.is_dir() else 0o666) & ~mask
    assert stat.S_IMODE(path.stat().st_mode) == expected
