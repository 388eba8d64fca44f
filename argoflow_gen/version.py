"""The generator's version: written into every lock file and into the fork's CI workflows."""

__version__ = "0.1.0"
