"""Background tasks for Panther (distribution ``panther-tasks``, plugin ``tasks``)."""
