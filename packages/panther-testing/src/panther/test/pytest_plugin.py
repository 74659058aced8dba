"""pytest plugin for Panther apps (being written)."""
