"""Equality saturation over gate expressions."""
