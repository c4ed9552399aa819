"""Users' own files in, as AnnData: readers of the formats the field writes.

Each reader imports what it needs when called. Today: CellProfiler's per-object
measurement tables (:func:`read_cellprofiler`).
"""

from morphospace.core.io.cellprofiler import read_cellprofiler

__all__ = ["read_cellprofiler"]
