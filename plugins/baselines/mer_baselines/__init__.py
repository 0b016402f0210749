"""Classic MER baselines for mer-toolkit, each built from generic parts plus a few registered ones."""

__version__ = "0.1.0"
