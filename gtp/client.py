"""The controller side of GTP: drive an engine running as a subprocess.

``GtpProcess(argv)`` starts an engine with pipes (as a GUI does);
``send(command)`` writes one line and returns the parsed ``Response``
(``ok``, ``text``, and the raw ``lines`` of the response, e.g. analysis
``info`` lines); ``quit`` ends it.  Used by ``gtp.referee`` (engine against
engine) and by the tests.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field

from gtp.streams import LineReader


class GtpFailure(RuntimeError):
    """An engine answered ``?``, died, or did not answer in time."""


@dataclass
class Response:
    ok: bool
    text: str  # the text after "=" / "?" and on the following lines
    lines: list[str] = field(default_factory=list)  # the response's lines, first one included
    seconds: float = 0.0


class GtpProcess:
    """A GTP engine in a subprocess, spoken to line by line."""

    def __init__(self, argv: list[str], cwd: str | None = None, stderr=subprocess.DEVNULL):
        self.argv = list(argv)
        pipe = subprocess.PIPE
        self.proc = subprocess.Popen(argv, stdin=pipe, stdout=pipe, stderr=stderr, cwd=cwd)
        self.reader = LineReader(self.proc.stdout).start()

    def write(self, line: str) -> None:
        self.proc.stdin.write(line.encode("utf-8") + b"\n")
        self.proc.stdin.flush()

    def read_response(self, timeout: float | None = 60.0) -> Response:
        """The next complete response (lines before its ``=``/``?`` are skipped)."""
        start = time.monotonic()
        lines: list[str] = []
        while True:
            left = None if timeout is None else max(0.0, timeout - (time.monotonic() - start))
            try:
                raw = self.reader.get(left)
            except TimeoutError:
                raise GtpFailure(f"{self.argv[0]}: no answer within {timeout} s") from None
            if raw is None:
                code = self.proc.poll()
                raise GtpFailure(f"{self.argv[0]}: the engine closed its output (exit code {code})")
            line = raw.rstrip("\r\n")
            if not lines:
                if line[:1] in ("=", "?"):
                    lines.append(line)
                continue
            if line == "":
                break
            lines.append(line)
        first = lines[0][1:].lstrip("0123456789")
        text = "\n".join([first.strip(), *lines[1:]]).strip()
        return Response(lines[0][0] == "=", text, lines, time.monotonic() - start)

    def send(self, command: str, timeout: float | None = 60.0) -> Response:
        self.write(command)
        return self.read_response(timeout)

    def ask(self, command: str, timeout: float | None = 60.0) -> str:
        """Send a command that must succeed; its text.  GtpFailure on ``?``."""
        response = self.send(command, timeout)
        if not response.ok:
            raise GtpFailure(f"{self.argv[0]}: {command!r} -> ? {response.text}")
        return response.text

    def quit(self, timeout: float = 5.0) -> int:
        """Send ``quit`` and wait for the process; kill it if it lingers.  Its exit code."""
        try:
            if self.proc.poll() is None:
                self.send("quit", timeout)
        except (GtpFailure, OSError):
            pass
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()
