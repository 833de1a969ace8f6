"""Fresco API v1 commands."""
