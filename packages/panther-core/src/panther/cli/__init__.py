"""The ``panther`` command line."""
