"""Response caching for Panther (distribution ``panther-cache``, plugin ``cache``)."""
