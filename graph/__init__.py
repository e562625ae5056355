"""The healing loop as a LangGraph state machine."""

from healloop.graph.builder import build_graph

__all__ = ["build_graph"]
