"""Jinja templates of the generated tree."""
