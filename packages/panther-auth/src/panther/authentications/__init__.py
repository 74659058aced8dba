"""JWT authentication for Panther (distribution ``panther-auth``, plugin ``auth``)."""
