"""Measuring a version of a target and turning the measurements into a score."""
