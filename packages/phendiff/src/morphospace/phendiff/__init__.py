"""morphospace-phendiff: conditional diffusion that translates cell images between conditions.

PhenDiff (Bourou, Boyer et al., MICCAI 2024) trains one class-conditional diffusion
model on images of every condition, inverts a real image to noise with DDIM under its
own condition and regenerates it under another: comparing the pair shows what the
condition changes. Components are registered through :mod:`morphospace.phendiff.plugin`.
"""

__version__ = "0.2.0"
