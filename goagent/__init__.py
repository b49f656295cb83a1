"""goagent: a Go-playing agent (Numba board engine, MCTS, ResNet, GTP).

``import goagent`` is light: it imports neither torch nor Numba kernels.
Start reading at ``goagent.coords`` and ``goagent.board``.
"""

__version__ = "0.1.0"
