"""Wire the nodes into the healing loop."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import Send

from healloop.context import RunContext
from healloop.graph.routing import after_approve, after_evaluate
from healloop.nodes.apply import apply
from healloop.nodes.approve import approve
from healloop.nodes.blast_radius import blast_radius
from healloop.nodes.conclude import conclude
from healloop.nodes.evaluate import evaluate
from healloop.nodes.generate import generate
from healloop.nodes.review import review
from healloop.state import HealState, TargetTask


def fan_out(state: HealState) -> list[Send]:
    """Send every target to review and to blast_radius; generate waits for all."""
    request = state["request"]
    return [
        Send(node, TargetTask(request=request, target=target))
        for target in request["files"]
        for node in ("review", "blast_radius")
    ]


def build_graph(
    checkpointer: BaseCheckpointSaver | None = None, store: BaseStore | None = None
) -> CompiledStateGraph:
    """Return the compiled healing loop; without a checkpointer for the API server."""
    builder = StateGraph(HealState, context_schema=RunContext)
    builder.add_node("review", review)
    builder.add_node("blast_radius", blast_radius)
    builder.add_node("generate", generate)
    builder.add_node("evaluate", evaluate)
    builder.add_node("approve", approve)
    builder.add_node("apply", apply)
    builder.add_node("conclude", conclude)
    builder.add_conditional_edges(START, fan_out, ["review", "blast_radius"])
    builder.add_edge(["review", "blast_radius"], "generate")
    builder.add_edge("generate", "evaluate")
    builder.add_conditional_edges("evaluate", after_evaluate)
    builder.add_conditional_edges("approve", after_approve)
    builder.add_edge("apply", END)
    builder.add_edge("conclude", END)
    return builder.compile(checkpointer=checkpointer, store=store, name="healloop")
