"""Learning from the human's decisions: what was accepted and rejected, and why.

Every approval and rejection is recorded in the LangGraph store of the run
(``DecisionLog``). Later runs read the log as a ``Profile`` and ``rank`` their
candidates with it: kinds the human rejected repeatedly are skipped (and the run says
so), kinds they accepted are tried and proposed first, and their past feedback on a
file goes into the model's context. A rejection with feedback asks for another round
(``revised``) and counts only against the kinds the candidate approved later in that
run does without.
"""

from healloop.learning.kinds import addressed, edit_kinds, finding_kind
from healloop.learning.log import DecisionLog, DecisionRecord
from healloop.learning.profile import KindStats, Profile
from healloop.learning.ranking import Ranking, rank

__all__ = [
    "DecisionLog",
    "DecisionRecord",
    "KindStats",
    "Profile",
    "Ranking",
    "addressed",
    "edit_kinds",
    "finding_kind",
    "rank",
]
