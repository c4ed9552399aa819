"""Users' own files in, as AnnData: readers of the formats the field writes.

Each reader imports what it needs when called. Today: CellProfiler's per-object
measurement tables (:func:`read_cellprofiler`), folders of single-cell crops with a
table about them (:func:`read_crops`), the cells of a field given its instance label
image (:func:`read_labelled_cells`), and whole fields and volumes from TIFF, OME-TIFF
and OME-Zarr (:func:`read_image`; :func:`write_image` writes label maps and images
back with their pixel size).
"""

from morphospace.core.io.cellprofiler import read_cellprofiler
from morphospace.core.io.crops import read_crops
from morphospace.core.io.images import read_image, write_image
from morphospace.core.io.labelled_cells import read_labelled_cells

__all__ = ["read_cellprofiler", "read_crops", "read_image", "read_labelled_cells", "write_image"]
