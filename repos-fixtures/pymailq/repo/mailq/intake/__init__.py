"""Intake paths other than the JSON API."""
