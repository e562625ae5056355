"""The entry point LangGraph Studio and the API server load (see langgraph.json).

Compiled without a checkpointer: the server brings its own. Studio's input form
fills ``request`` (repo, files, threshold, iterations) and its context form fills
the run context (engine, model, base URL).
"""

from healloop.graph.builder import build_graph

graph = build_graph()
