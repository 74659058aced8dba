"""Test clients for Panther apps."""
