"""morphospace-hypervae: a Poincaré-ball VAE for unsupervised hierarchical 3D segmentation.

Importing this package is cheap; torch is imported only by the implementation
modules (``vae``, ``gyroplane``, ...), which the registry loads on first use.
"""

__version__ = "0.2.0"
