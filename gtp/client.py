"""The controller side of GTP, as the ``gtp`` package has always named it.

The client itself is ``goagent.gtp_client`` (one client for matches, gates and
the referee); this module keeps the ``gtp.client`` names for callers and tests.
"""

from goagent.gtp_client import GtpFailure, GtpProcess, Response

__all__ = ["GtpFailure", "GtpProcess", "Response"]
