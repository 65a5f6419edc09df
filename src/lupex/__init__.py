"""lupex: lunar south-pole mission toolkit (terrain, ephemeris, illumination) for LUPEX-class missions.

Subpackages are imported on demand (``import lupex.ephemeris``), so ``import lupex`` stays light.
"""

__version__ = "0.1.0"
