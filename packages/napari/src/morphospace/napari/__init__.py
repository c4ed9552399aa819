"""morphospace in napari: a widget that runs installed components on layers, a reader.

napari finds both through ``napari.yaml`` (npe2); importing this package is cheap.
"""

__version__ = "0.1.0"
