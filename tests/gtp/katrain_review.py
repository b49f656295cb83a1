"""Review a whole game through KaTrain's own KataGoEngine and Game, headless (a script).

Run with KaTrain's Python (see tests/gtp/test_katrain.py):
    GOAGENT=$PWD/.venv/bin/goagent /tmp/kt/bin/python tests/gtp/katrain_review.py GAME.sgf [VISITS]
Prints nodes analysed, wall time, root visits per turn and KaTrain's points lost.
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_katrain as t  # noqa: E402

visits = int(sys.argv[2]) if len(sys.argv) > 2 else 32
katrain = t.HeadlessKaTrain()
config = dict(katrain.config("engine"))
config.update(
    backend="custom",
    altcommand=f"exec {os.environ['GOAGENT']} analysis --visits {visits}",
    max_visits=visits,
    fast_visits=visits,
    max_time=600.0,
    allow_recovery=False,
)
engine = t.KataGoEngine(katrain, config)
root = t.KaTrainSGF.parse_file(sys.argv[1])
start = time.time()
game = t.Game(katrain, engine, move_tree=root)
nodes = list(game.root.nodes_in_tree)
ok = t._wait(lambda: all(n.analysis_complete for n in nodes) and engine.is_idle(), 3000)
secs = time.time() - start
v = [n.analysis["root"]["visits"] for n in nodes if n.analysis_exists]
print(
    f"complete={ok} nodes={len(nodes)} analysed={len(v)} seconds={secs:.1f} per_turn={secs / len(nodes):.2f}s"
)
print(f"root visits per turn: min={min(v)} median={statistics.median(v)} max={max(v)}")
lost = [n.points_lost for n in nodes[1:] if n.points_lost is not None]
print(f"points_lost known for {len(lost)} moves; biggest {sorted(lost)[-3:]}")
print("final node:", nodes[-1].format_winrate(), nodes[-1].format_score())
print("errors:", katrain.errors()[:3])
engine.shutdown(finish=False)
