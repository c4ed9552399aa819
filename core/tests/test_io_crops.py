"""A folder of crops: channels first, integer pixels scaled to [0, 1], a stated size
policy (pad or centre-crop, never resample), a table matched by file name, and one clear
error per bad input."""

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from morphospace.core.errors import InputError
from morphospace.core.io import read_crops


def write_crops(folder, shapes, dtype=np.uint8):
    folder.mkdir(exist_ok=True)
    for i, shape in enumerate(shapes):
        pixels = np.full(shape, 51 * (i + 1), dtype=dtype)
        np.save(folder / f"cell{i}.npy", pixels)


def test_crops_become_channels_first_images_in_unit_range(tmp_path):
    write_crops(tmp_path / "c", [(12, 12, 2), (12, 12, 2)])  # channels last
    adata = read_crops(tmp_path / "c")
    assert adata.obsm["image"].shape == (2, 2, 12, 12)
    assert adata.obsm["image"].dtype == np.float32
    np.testing.assert_allclose(adata.obsm["image"][:, 0, 0, 0], [0.2, 0.4])  # 51/255, 102/255
    assert list(adata.obs_names) == ["cell0", "cell1"]
    assert adata.obs["file"].tolist() == ["cell0.npy", "cell1.npy"]


def test_png_crops_and_a_glob(tmp_path):
    (tmp_path / "c").mkdir()
    for i in range(3):
        matplotlib.image.imsave(tmp_path / "c" / f"a{i}.png", np.eye(8), cmap="gray")
    (tmp_path / "c" / "notes.txt").write_text("not a crop")
    adata = read_crops(str(tmp_path / "c" / "a*.png"))
    assert adata.obsm["image"].shape == (3, 4, 8, 8)  # RGBA, channels first
    assert adata.obsm["image"].max() == pytest.approx(1.0)


def test_different_sizes_are_refused_unless_a_size_is_named(tmp_path):
    write_crops(tmp_path / "c", [(10, 10), (6, 14)])
    with pytest.raises(InputError, match=r"different sizes .*name a size .*never resampled"):
        read_crops(tmp_path / "c")
    adata = read_crops(tmp_path / "c", size=8, fill=0.0)
    images = adata.obsm["image"][:, 0]
    assert images.shape == (2, 8, 8)
    assert np.allclose(images[0], 0.2)  # 10 x 10 centre-cropped
    assert np.allclose(images[1, 1:7], 0.4)  # 6 rows padded, 14 columns cropped
    assert (images[1, [0, 7]] == 0).all()


def test_a_table_gives_obs_matched_by_file_name(tmp_path):
    write_crops(tmp_path / "c", [(8, 8)] * 3)
    pd.DataFrame(
        {"file": ["sub/cell2.npy", "cell0.npy", "cell1.npy"], "condition": ["b", "a", "a"]}
    ).to_csv(tmp_path / "t.csv", index=False)
    adata = read_crops(tmp_path / "c", tmp_path / "t.csv")
    assert adata.obs["condition"].tolist() == ["a", "a", "b"]  # in the crops' order
    assert adata.obs["file"].tolist() == ["cell0.npy", "cell1.npy", "cell2.npy"]


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        (["cell0.npy", "cell1.npy"], r"crops without a row: cell2\.npy"),
        (["cell0.npy", "cell1.npy", "cell2.npy", "cell9.npy"], r"rows naming no crop: cell9"),
        (["cell0.npy", "cell1.npy", "cell2.npy", "cell1.npy"], r"files named twice: cell1"),
    ],
)
def test_a_table_that_does_not_match_the_crops_names_the_mismatch(tmp_path, rows, match):
    write_crops(tmp_path / "c", [(8, 8)] * 3)
    pd.DataFrame({"file": rows}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(InputError, match=r"the table's rows do not match the crops: " + match):
        read_crops(tmp_path / "c", tmp_path / "t.csv")


def test_bad_inputs_are_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="expected a folder of crops or a glob"):
        read_crops(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"no crops found"):
        read_crops(tmp_path / "empty")
    write_crops(tmp_path / "mixed", [(8, 8), (8, 8, 3)])
    with pytest.raises(InputError, match=r"different channel counts: 1 \(e.g. cell0.npy\), 3"):
        read_crops(tmp_path / "mixed")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"\x89PNG truncated")
    with pytest.raises(InputError, match=r"x\.png: not a readable image"):
        read_crops(tmp_path / "bad")
    write_crops(tmp_path / "ok", [(8, 8)])
    (tmp_path / "t.csv").write_text("name\ncell0.npy\n")
    with pytest.raises(InputError, match=r"expected a 'file' column"):
        read_crops(tmp_path / "ok", tmp_path / "t.csv")


def test_tiff_crops_are_read_with_tifffile(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    (tmp_path / "c").mkdir()
    tifffile.imwrite(tmp_path / "c" / "a.tif", np.full((2, 8, 8), 65535, dtype=np.uint16))
    adata = read_crops(tmp_path / "c")
    assert adata.obsm["image"].shape == (1, 2, 8, 8) and adata.obsm["image"].max() == 1.0
