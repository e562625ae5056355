"""Generation strategies behind one interface, chosen per run.

An engine takes a GenerationJob and proposes new content for the target. Engines
never write the user's tree; the evaluator measures every proposal.
"""

from healloop.engines.base import Engine, GenerationJob, Proposal
from healloop.engines.registry import engines_for

__all__ = ["Engine", "GenerationJob", "Proposal", "engines_for"]
