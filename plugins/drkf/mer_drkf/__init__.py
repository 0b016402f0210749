"""DRKF for mer-toolkit: ORL (decoupled, contrastively optimised representations), the Fusion Encoder
and the EC/ED heads of "Decoupled Representations with Knowledge Fusion" (arXiv 2508.01644)."""

__version__ = "0.2.0"
