"""Translation-alignment workbench: segment, embed and align Spanish originals with English adaptations.

Nothing heavy happens on import: models load on first use.
"""

__version__ = "0.1.0"
