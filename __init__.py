"""healloop: a self-healing code loop for Python repositories."""

__version__ = "0.1.0"
