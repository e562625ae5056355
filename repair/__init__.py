"""repair package."""
