"""Run the CLI with ``python -m healloop``."""

from healloop.main import cli

cli()
