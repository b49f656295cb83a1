"""`goagent review GAME.sgf`: a whole-game review as an annotated SGF and a graph.

``review_game`` searches every position of the main line (``Search`` over any
``Evaluator``, the tree of the move played kept for the next position) and
returns a ``Review``: Black's win rate and score lead at each position, and
for each move what it lost.  A move's loss is measured as KaTrain measures it:
the score lead (or win rate) before the move minus the one after, from the
mover's side, so a move as good as the engine's best loses about nothing.
``Review.mistakes`` ranks the moves by points lost or by win-rate drop above a
threshold.  ``annotate_sgf`` writes the result into the original record:
a comment on every move, Sabaki's ``SBKV`` (Black's win rate in percent, the
property Sabaki's own analysis writes and its win-rate graph reads), ``BM``
on the mistakes and the engine's line (PV) as a variation beside each mistake.
``goagent.review_plot`` draws the graph.  Conventions: scores are black minus
white minus komi (README "Conventions"); win rates are Black's.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

from sgfmill import sgf

from goagent.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE, action_to_gtp, action_to_sgfmill
from goagent.game import format_result
from goagent.mcts import Evaluator, Search, SearchConfig, SearchResult
from goagent.review_args import DEFAULT_THRESHOLD, DEFAULT_VISITS, RANKINGS
from goagent.sgf import GameRecord, read_sgf
from goagent.winrate import black_winrate

log = logging.getLogger(__name__)


@dataclass
class Position:
    """The search's view of the position after ``moves`` moves (Black's side)."""

    moves: int
    to_play: int
    visits: int = 0
    winrate: float | None = None  # Black's, in [0, 1]; None: not searched (game over)
    score: float | None = None  # Black's lead in points; None: no score from this evaluator
    best: int | None = None  # the engine's first choice
    pv: list[int] = field(default_factory=list)  # its line, starting with ``best``


@dataclass
class MoveLoss:
    """What move ``number`` (1-based) cost its player, from the positions before and after."""

    number: int
    color: int
    action: int
    best: int | None
    points: float | None  # score lead lost (negative: gained)
    winrate: float | None  # win rate lost, [−1, 1]

    def loss(self, by: str) -> float | None:
        return self.points if by == "points" else None if self.winrate is None else 100 * self.winrate


@dataclass
class Review:
    record: GameRecord
    visits: int
    positions: list[Position]  # positions[k]: after k moves
    moves: list[MoveLoss]  # moves[k-1]: move k
    seconds: float = 0.0

    def mistakes(self, by: str = "points", threshold: float | None = None, limit: int | None = None):
        """Moves losing at least ``threshold`` (points, or percentage points of win rate),
        biggest first.  A move that was the engine's own first choice is never one: what
        it shows as lost is the noise between two searches."""
        if by not in RANKINGS:
            raise ValueError(f"rank mistakes by one of {RANKINGS}, not {by!r}")
        threshold = DEFAULT_THRESHOLD[by] if threshold is None else threshold
        found = [
            m for m in self.moves if m.loss(by) is not None and m.loss(by) >= threshold and m.action != m.best
        ]
        found.sort(key=lambda m: -m.loss(by))
        return found[:limit] if limit is not None else found


def search_score(result: SearchResult) -> float | None:
    """The search's score lead for the side to move: its search-averaged mean where the
    search reports one (``score_mean``), else the children's mean scores weighted by
    visits (KataGo's root scoreLead), else the network's own score of the root."""
    averaged = getattr(result, "score_mean", None)  # the search issue's statistics, when present
    if averaged is not None:
        return averaged
    scored = [(c.visits, c.score) for c in result.children if c.visits and c.score is not None]
    total = sum(n for n, _ in scored)
    if total:
        return sum(n * s for n, s in scored) / total
    return result.score


def check_board_size(data: bytes, source: str) -> None:
    """A clear error for a board goagent cannot review, before sgfmill's terser one."""
    match = re.search(rb"SZ\s*\[([^\]]*)\]", data)
    if match is None:
        return  # SGF's default, 19x19
    text = match.group(1).decode("ascii", "replace").strip()
    if not (text.isdigit() and MIN_SIZE <= int(text) <= MAX_SIZE):
        raise ValueError(
            f"{source}: board size SZ[{text}]: goagent reviews square boards from "
            f"{MIN_SIZE}x{MIN_SIZE} to {MAX_SIZE}x{MAX_SIZE} (the sizes its network plays)"
        )


def _position(state, result: SearchResult | None) -> Position:
    pos = Position(state.move_number, state.to_play)
    if result is None:
        return pos
    sign = 1.0 if state.to_play == BLACK else -1.0
    score = search_score(result)
    pos.visits = result.visits
    pos.winrate = black_winrate(result.value, state.to_play)
    pos.score = None if score is None else sign * score
    if result.children:
        pos.best = result.best.action
        pos.pv = list(result.best.pv)
    return pos


def review_game(
    record: GameRecord,
    evaluator: Evaluator,
    visits: int = DEFAULT_VISITS,
    batch_size: int = 16,
    seed: int = 0,
    progress: bool = True,
) -> Review:
    """Search every position of ``record``'s main line with at least ``visits`` visits."""
    from tqdm import tqdm

    if visits < 1:
        raise ValueError(f"--visits must be at least 1, not {visits}")
    start = time.perf_counter()
    total = len(record.moves)
    record.to_state()  # an illegal move fails here, with its number, before any search
    state = record.to_state(0)
    search = Search(state.copy(), evaluator, SearchConfig(batch_size=batch_size), seed=seed)
    positions: list[Position] = []
    reused = 0  # visits the tree already holds for this position (tree reuse)
    for k in tqdm(range(total + 1), desc="review", unit="position", disable=not progress):
        if k:
            state.play(record.moves[k - 1].action, record.moves[k - 1].color)
            search.advance(state)
        result = None
        if not state.is_over:  # a finished game (two passes) has nothing left to search
            result = search.run(visits=max(1, visits - reused))
            if result.visits < visits:  # the reused subtree was smaller than it said
                result = search.run(visits=visits - result.visits)
        positions.append(_position(state, result))
        if k < total and result is not None:
            played = record.moves[k].action
            reused = next((c.visits for c in result.children if c.action == played), 0)
    moves = [_move_loss(record, k, positions) for k in range(1, total + 1)]
    return Review(record, visits, positions, moves, time.perf_counter() - start)


def _move_loss(record: GameRecord, k: int, positions: list[Position]) -> MoveLoss:
    move = record.moves[k - 1]
    before, after = positions[k - 1], positions[k]
    sign = 1.0 if move.color == BLACK else -1.0
    points = winrate = None
    if before.score is not None and after.score is not None:
        points = sign * (before.score - after.score)
    if before.winrate is not None and after.winrate is not None:
        winrate = sign * (before.winrate - after.winrate)
    return MoveLoss(k, move.color, move.action, before.best, points, winrate)


# --- the annotated SGF --------------------------------------------------------


def _describe(pos: Position) -> str:
    parts = [f"Black {100 * pos.winrate:.1f}%"] if pos.winrate is not None else []
    if pos.score is not None:
        parts.append(f"score {format_result(round(pos.score, 1))}")
    return ", ".join(parts)


def _move_comment(review: Review, k: int, mistake: bool) -> str:
    pos, size = review.positions[k], review.record.size
    if pos.winrate is None:
        return "goagent: the game is over here (not searched)"
    lines = [f"goagent ({pos.visits} visits): {_describe(pos)}"]
    loss = review.moves[k - 1] if k else None
    if loss is not None:
        cost = _cost(loss)
        if cost:
            lines.append(f"{_COLOR[loss.color]}'s move: {cost} against the position before.")
    if mistake and loss is not None and loss.best is not None:
        lines.append(f"Mistake. goagent preferred {action_to_gtp(loss.best, size)}: see the variation.")
    return "\n".join(lines)


def _cost(loss: MoveLoss) -> str:
    """'-1.5 points, -4.2% win rate' from the mover's side (negative: lost)."""
    parts = [] if loss.points is None else [f"{-loss.points:+.1f} points"]
    if loss.winrate is not None:
        parts.append(f"{-100 * loss.winrate:+.1f}% win rate")
    return ", ".join(parts)


_COLOR = {BLACK: "Black", WHITE: "White"}
_LETTER = {BLACK: "b", WHITE: "w"}


def _main_line_nodes(game: sgf.Sgf_game) -> list:
    """The root, then each main-line node that holds a move (as ``read_sgf`` counts moves)."""
    nodes = [game.get_root()]
    nodes += [n for n in game.get_main_sequence()[1:] if n.has_property("B") or n.has_property("W")]
    return nodes


def _add_comment(node, text: str) -> None:
    old = node.get("C") if node.has_property("C") else ""
    node.set("C", f"{old}\n\n{text}" if old else text)


def _add_variation(review: Review, parent, loss: MoveLoss) -> None:
    """The engine's line from the position before the mistake, as a sibling of the move."""
    record, size = review.record, review.record.size
    before = review.positions[loss.number - 1]
    state = record.to_state(loss.number - 1)
    node = parent
    for i, action in enumerate(before.pv):
        if not state.is_legal(action) or state.is_over:
            break  # never write an illegal move, whatever the tree held
        color = state.to_play
        node = node.new_child()
        node.set_move(_LETTER[color], action_to_sgfmill(action, size))
        if i == 0:
            node.set("C", f"goagent's line instead of move {loss.number}: {_describe(before)}")
        state.play(action, color)


def annotate_sgf(data: bytes, review: Review, mistakes: list[MoveLoss]) -> bytes:
    """``data`` (the original SGF) with the review written in: comments, SBKV, BM, variations."""
    game = sgf.Sgf_game.from_bytes(data)
    nodes = _main_line_nodes(game)
    if len(nodes) != len(review.positions):
        raise ValueError(f"the record has {len(nodes) - 1} moves, the review {len(review.positions) - 1}")
    flagged = {m.number: m for m in mistakes}
    for k, (node, pos) in enumerate(zip(nodes, review.positions)):
        _add_comment(node, _move_comment(review, k, k in flagged))
        if pos.winrate is not None:
            # Sabaki's SBKV: Black's win rate in percent after this node, two decimals.
            node.set_raw("SBKV", f"{round(100 * pos.winrate, 2):g}".encode())
        if k in flagged:
            node.set_raw("BM", b"1")
            _add_variation(review, node.parent, flagged[k])
    return game.serialise()


# --- the command --------------------------------------------------------------


def _table(review: Review, mistakes: list[MoveLoss], by: str, threshold: float) -> str:
    size = review.record.size
    unit = "points" if by == "points" else "win-rate points"
    rows = [
        f"mistakes by {'points lost' if by == 'points' else 'win-rate drop'} (at least {threshold:g} {unit}):"
    ]
    if not mistakes:
        rows.append("  none")
    else:
        rows.append("  move  color  played  best   points lost  win-rate drop")
    for m in mistakes:
        points = "-" if m.points is None else f"{m.points:.1f}"
        drop = "-" if m.winrate is None else f"{100 * m.winrate:.1f}%"
        best = "-" if m.best is None else action_to_gtp(m.best, size)
        rows.append(
            f"  {m.number:4d}  {_COLOR[m.color]:5s}  {action_to_gtp(m.action, size):6s}  {best:5s}  "
            f"{points:>11s}  {drop:>13s}"
        )
    return "\n".join(rows)


def main(args) -> int:
    from goagent.inference import load_evaluator
    from goagent.review_plot import plot_review

    with open(args.file, "rb") as handle:
        data = handle.read()
    check_board_size(data, args.file)
    record = read_sgf(data, args.file)
    threshold = DEFAULT_THRESHOLD[args.by] if args.threshold is None else args.threshold
    evaluator = load_evaluator(args.model, seed=args.seed, precision=args.precision, device=args.device)
    review = review_game(record, evaluator, args.visits, args.batch, args.seed, progress=not args.quiet)
    stem = re.sub(r"\.sgf$", "", args.file, flags=re.IGNORECASE)
    out = args.out or f"{stem}-review.sgf"
    annotated = review.mistakes(args.by, threshold, args.mistakes)
    with open(out, "wb") as handle:
        handle.write(annotate_sgf(data, review, annotated))
    searched = sum(1 for p in review.positions if p.winrate is not None)
    print(
        f"reviewed {len(record.moves)} moves ({searched} positions, at least {args.visits} visits each) "
        f"in {review.seconds:.0f} s ({review.seconds / max(1, searched):.2f} s a position)"
    )
    if all(p.score is None for p in review.positions):
        print("this evaluator gives no score lead: mistakes can only be ranked by --by winrate")
    print(_table(review, annotated, args.by, threshold))
    other = "winrate" if args.by == "points" else "points"
    print(_table(review, review.mistakes(other, None, args.mistakes), other, DEFAULT_THRESHOLD[other]))
    print(f"wrote {out}")
    if not args.no_graph:
        graph = args.graph or f"{stem}-review.png"
        plot_review(review, annotated, graph)
        print(f"wrote {graph}")
    return 0
