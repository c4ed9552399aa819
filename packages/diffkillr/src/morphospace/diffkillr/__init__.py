"""morphospace-diffkillr: DiffKillR, killing and recreating diffeomorphisms for cell annotation.

A few annotated archetype cells form a cell bank; DiffeoInvariantNet matches every new
cell to its nearest archetype, DiffeoMappingNet registers the archetype onto the cell
and the archetype's annotations (mask, centre, orientation) are warped onto it.
Importing this package is light: the torch modules load on first use.
"""

__version__ = "0.2.0"
