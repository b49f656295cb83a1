"""``goagent analysis``: KataGo's JSON analysis engine protocol on stdin/stdout.

One query per input line (``gtp.analysis_query``); one JSON object per line
out: each query's warnings, then one final result per analysed turn
(``"isDuringSearch": false``), with partial results before it when the query
asked for ``reportDuringSearchEvery``.  Results come as turns finish, not
necessarily in input order, as in KataGo.  Bad input gets an ``error``
object (with ``id`` and ``field`` when known) and the engine goes on.

Scheduling: every analysed turn is a ``TurnJob`` in a queue ordered by
priority (higher first), then arrival.  Up to ``parallel`` jobs are searched
at once, and each round pools their leaves into one network batch
(``gtp.analysis_search.Pool``): the turns of a game, and of several games,
share batches.  Actions: ``query_version``, ``clear_cache``, ``terminate``
(a query's turns, or some of them; finished with what they have, or
``noResults`` if never started) and ``terminate_all``; each is acknowledged
by echoing it.  At the end of input the queued turns are finished, then the
process exits.

The model loads on a background thread, so queries and actions are read and
checked at once; searches start when it is ready.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass

from goagent import __version__
from gtp.analysis_query import Action, Query, QueryError, parse_line
from gtp.analysis_report import turn_response

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisSettings:
    """Engine-wide defaults; a query's maxVisits, maxTime and perspective override them."""

    visits: int = 500  # KataGo's analysis_example.cfg default
    seconds: float | None = None  # per turn; None: visits only
    parallel: int = 8  # turns searched at once (KataGo's numAnalysisThreads)
    batch: int = 8  # leaves per turn per round
    max_visits: int = 20_000  # per turn: larger asks get a warning (a query cannot hold a turn forever)
    memory_budget: int | None = None  # bytes for all turns' trees at once; None: the search's default
    seed: int = 0

    @property
    def turn_memory_budget(self) -> int | None:
        """Each of the ``parallel`` turns searched at once gets an equal share of the budget."""
        return None if self.memory_budget is None else self.memory_budget // self.parallel


class AnalysisEngine:
    """The protocol state: queued and running turn jobs, and the evaluator they share."""

    def __init__(self, settings: AnalysisSettings, write, load_evaluator):
        self.settings = settings
        self._write = write  # str -> None, one whole line
        self._load = load_evaluator
        self.pool = None  # gtp.analysis_search.Pool once the model is loaded
        self.load_error: str | None = None
        self._loaded = threading.Event()
        self.queue: list[tuple[tuple[int, int], object]] = []  # heap of (sort key, job)
        self.active: list = []
        self._seq = 0
        self.turns_done = 0

    # -- model -------------------------------------------------------------------

    def start_loading(self) -> None:
        threading.Thread(target=self._load_now, name="analysis-load", daemon=True).start()

    def _load_now(self) -> None:
        try:
            from gtp.analysis_search import Pool

            self.pool = Pool(self._load(), self.settings.batch, self.settings.seed)
        except Exception as err:  # every query gets this error; the engine stays up
            log.exception("cannot load the model")
            self.load_error = " ".join(f"cannot load model: {err}".split())
        self._loaded.set()

    @property
    def ready(self) -> bool:
        return self._loaded.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    # -- input -------------------------------------------------------------------

    def send(self, obj: dict) -> None:
        self._write(json.dumps(obj, separators=(",", ":")) + "\n")

    def handle_line(self, text: str) -> None:
        """Parse and act on one input line (blank lines are ignored)."""
        if not text.strip():
            return
        try:
            item = parse_line(text)
            if isinstance(item, Action):
                self._action(item)
            else:
                self._query(item)
        except QueryError as err:
            self.send(err.answer)

    def _query(self, query: Query) -> None:
        from gtp.analysis_search import TurnJob, build_states  # Numba: not before the first query

        visits = query.visits or self.settings.visits
        if visits > self.settings.max_visits:
            query.warn(
                f"maxVisits {visits} is above goagent's limit per turn; searching up to "
                f"{self.settings.max_visits} visits",
                "maxVisits",
            )
            visits = self.settings.max_visits
        query.visits = visits
        if query.seconds is None:
            query.seconds = self.settings.seconds
        states = build_states(query)  # QueryError before any warning: one answer per bad query
        for warning in query.warnings:
            self.send(warning)
        for turn, priority in zip(query.turns, query.priorities):
            self._seq += 1
            job = TurnJob(query, turn, states[turn], priority, self._seq)
            heapq.heappush(self.queue, (job.sort_key(), job))

    def _action(self, action: Action) -> None:
        answer = dict(action.raw)
        if action.name == "query_version":
            answer.update(version=__version__, git_hash="<omitted>", engine="goagent")
        # clear_cache: each turn's search has its own evaluation cache, gone with the turn
        self.send(answer)
        if action.name in ("terminate", "terminate_all"):
            self._terminate(action.terminate_id, action.turns)

    def _terminate(self, query_id: str | None, turns) -> None:
        def hit(job) -> bool:
            return (query_id is None or job.query.id == query_id) and (turns is None or job.turn in turns)

        for job in self.active:
            if hit(job):
                job.terminated = True
        kept = []
        for key, job in self.queue:
            if hit(job):
                self.send(turn_response(job.view()))  # noResults: never searched
                self.turns_done += 1
            else:
                kept.append((key, job))
        heapq.heapify(kept)
        self.queue = kept

    # -- searching ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return bool(self.queue or self.active)

    def step(self) -> None:
        """Start queued turns up to ``parallel``, search one pooled round, answer finished turns."""
        if not self.ready:
            return
        if self.load_error is not None:
            self._fail_all(self.load_error)
            return
        while self.queue and len(self.active) < self.settings.parallel:
            _, job = heapq.heappop(self.queue)
            job.start(
                self.pool.evaluator,
                job.query.visits,
                job.query.seconds,
                self.settings.seed,
                self.settings.batch,
                self.settings.turn_memory_budget,
            )
            self.active.append(job)
        running = [job for job in self.active if not job.finished]
        if running:
            try:
                self.pool.step(running)
            except Exception as err:  # a bug must not end the engine: fail these turns, go on
                log.exception("search failed")
                for job in running:
                    self.send({"id": job.query.id, "turnNumber": job.turn, "error": f"internal error: {err}"})
                    job.failed = True
        now = time.monotonic()
        still = []
        for job in self.active:
            if job.failed:
                self.turns_done += 1
            elif job.finished:
                self.send(turn_response(self.pool.complete(job)))
                job.search = None  # the tree's memory goes now, not when the query's last turn ends
                self.turns_done += 1
            else:
                if now >= job.next_report:
                    self.send(turn_response(job.view(during_search=True)))
                    job.next_report = now + job.query.report_every
                still.append(job)
        self.active = still

    def _fail_all(self, message: str) -> None:
        for _, job in self.queue:
            self.send({"id": job.query.id, "turnNumber": job.turn, "error": message})
        self.queue = []


def serve(engine: AnalysisEngine, reader) -> None:
    """Answer input lines until the end of input, then finish the queued turns."""
    ended = False
    while True:
        if ended and not engine.busy:
            return
        if not ended:
            if not engine.busy:
                timeout = None
            elif engine.ready:
                timeout = 0.0
            else:
                timeout = 0.05
            try:
                line = reader.get(timeout=timeout)
            except TimeoutError:
                line = ""
            if line is None:
                ended = True
            elif line:
                engine.handle_line(line)
                if reader.pending():
                    continue  # read what is waiting before the next round (terminate at once)
        elif not engine.ready:
            engine.wait_ready(0.05)
        engine.step()


def run_stdio(settings: AnalysisSettings, options) -> int:
    """Run on this process's stdin/stdout (``options``: gtp.options.EngineOptions for the model)."""
    from gtp.streams import LineReader, ResponseWriter

    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt the protocol
    sys.stdout = sys.stderr
    writer = ResponseWriter(protocol_out)

    def load():
        from gtp.brain import Brain

        brain = Brain(options)
        brain.ready()
        return brain.evaluator

    engine = AnalysisEngine(settings, writer.write, load)
    engine.start_loading()
    reader = LineReader(sys.stdin.buffer).start()
    print("goagent analysis engine: reading queries on stdin", file=sys.stderr, flush=True)
    code = 0
    start = time.monotonic()
    try:
        serve(engine, reader)
    except KeyboardInterrupt:
        code = 130
    log.info("analysed %d turns in %.1f s", engine.turns_done, time.monotonic() - start)
    sys.stderr.flush()
    os._exit(code)  # daemon threads (stdin, model loading) must not delay the exit
