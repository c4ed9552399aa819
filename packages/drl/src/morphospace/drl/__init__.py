"""morphospace-drl: weakly-supervised disentangled representations of microscopy images.

Ada-GVAE (Locatello et al. 2020) learns a disentangled code from pairs of images of a
procedural source (Texture-dSprites) that differ in a few factors, then transfers to
microscopy targets whose factors are only partly known (Dapueto et al.). Components are
registered through :mod:`morphospace.drl.plugin` and imported on first use.
"""

__version__ = "0.2.0"
