"""The quickstart example: see README.md next to this file."""
