"""Run the CLI with ``python -m healloop``."""

from healloop.main import app

app(prog_name="healloop")
