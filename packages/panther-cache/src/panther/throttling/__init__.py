"""Throttling for Panther (distribution ``panther-cache``, plugin ``cache``)."""
