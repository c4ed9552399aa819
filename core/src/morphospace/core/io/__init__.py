"""Users' own files in, as AnnData: readers of the formats the field writes.

Each reader imports what it needs when called. Today: CellProfiler's per-object
measurement tables (:func:`read_cellprofiler`), folders of single-cell crops with a
table about them (:func:`read_crops`), and the cells of a field given its instance label
image (:func:`read_labelled_cells`).
"""

from morphospace.core.io.cellprofiler import read_cellprofiler
from morphospace.core.io.crops import read_crops
from morphospace.core.io.labelled_cells import read_labelled_cells

__all__ = ["read_cellprofiler", "read_crops", "read_labelled_cells"]
