"""The search: PUCT Monte-Carlo tree search in flat arrays driven by Numba kernels.

One concept per module:

- ``tree``: the node and edge arrays and the kernels (select, expand,
  gather a batch, back up, compact for tree reuse);
- ``leaves``: a leaf's position on a scratch board (replay the path, legal
  moves with the ko rule, cache key, network planes);
- ``cache``: the evaluation cache (priors and values by position key);
- ``evaluation``: the ``Evaluator`` protocol, ``Evaluation``, ``PlayoutEvaluator``;
- ``driver``: ``Search`` (batches, visit/time/memory budgets, reuse, move rules);
- ``report``: ``SearchResult``, ``ChildInfo``, PVs, node views.

``goagent.mcts`` is the public face and re-exports these names.
"""
