"""Example mer-toolkit plugin package."""
