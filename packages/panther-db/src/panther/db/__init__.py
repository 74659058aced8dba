"""Document models and databases for Panther (distribution ``panther-db``, plugin ``db``)."""
