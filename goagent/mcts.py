"""PUCT Monte-Carlo tree search over an ``Evaluator``: the public face of ``goagent.search``.

An ``Evaluator`` turns a batch of positions into priors over the ``n*n+1``
actions and values in [-1, 1] for the side to move (plus, optionally,
ownership and score); ``evaluate(states, legal)`` is its public entry point,
and the search uses ``evaluate_planes(planes, legal)`` instead where the
evaluator has it (the network, ``goagent.inference``).  ``PlayoutEvaluator``
needs no network.

``Search`` keeps statistics only, in flat arrays (``goagent.search.tree``);
a leaf's position is rebuilt on a scratch board from the root.  One ``run``
call repeats: gather up to ``batch_size`` leaves by PUCT with
first-play-urgency reduction and virtual loss (one Numba call), evaluate
them in one evaluator call (through an evaluation cache), expand and back
up (one Numba call); until a visit or time budget runs out, or
``early_stop`` sees that the best move can no longer be overtaken.  The tree
is bounded by ``SearchConfig.memory_budget`` bytes: a full tree keeps
evaluating and backing up without expanding.  Terminal positions (two
passes) are scored by Tromp-Taylor.  Dirichlet noise touches the root only.
``advance`` keeps the subtree of the moves played (tree reuse).

For analysis, beyond visits, values, priors and PVs: per root move
``ChildInfo.value_stdev``, ``lcb_var`` (variance-based lower bound),
``score``/``score_mean``, ``score_stdev`` and ``ownership`` (the ownership
averaged below the move, root player's view); per search
``SearchResult.score_mean``, ``score_stdev``, ``ownership`` (search-averaged,
else the root evaluation's), ``ownership_stdev``, ``root_ownership``, and the
memory use (``nodes``, ``tree_bytes``, ``memory_budget``).

This module stays (rather than every importer moving to ``goagent.search``)
so that code written against it keeps working while the search changes below.
"""

from goagent.config import DEFAULT_MEMORY_BUDGET, SearchConfig
from goagent.search.driver import MoveRule, Search, restrict_legal
from goagent.search.evaluation import (
    Evaluation,
    Evaluator,
    PlayoutEvaluator,
    dead_stone_ownership,
    evaluator_for,
    terminal_value,
)
from goagent.search.report import ChildInfo, NodeView, SearchResult

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "ChildInfo",
    "Evaluation",
    "Evaluator",
    "MoveRule",
    "NodeView",
    "PlayoutEvaluator",
    "Search",
    "SearchConfig",
    "SearchResult",
    "dead_stone_ownership",
    "evaluator_for",
    "restrict_legal",
    "terminal_value",
]
