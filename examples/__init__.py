"""Runnable example apps (importable from the repository root, e.g. ``examples.quickstart.main:app``)."""
