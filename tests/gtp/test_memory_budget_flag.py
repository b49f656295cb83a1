"""``--memory-budget`` on ``goagent gtp`` and ``goagent analysis``: sizes in bytes, shared by turns."""

import pytest

from goagent.cli import build_parser
from gtp.analysis_engine import AnalysisSettings
from gtp.brain import player_config
from gtp.options import EngineOptions

SIZES = [("1.5G", 1_500_000_000), ("800M", 800_000_000), ("2000000", 2_000_000)]


@pytest.mark.parametrize("text, size", SIZES)
def test_sizes_read_as_bytes(text, size):
    assert build_parser().parse_args(["gtp", "--memory-budget", text]).memory_budget == size
    assert build_parser().parse_args(["analysis", "--memory-budget", text]).memory_budget == size


@pytest.mark.parametrize("text", ["lots", "10k", "1.5T"])
def test_bad_sizes_are_refused(text, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["gtp", "--memory-budget", text])
    assert "--memory-budget" in capsys.readouterr().err


def test_the_budget_reaches_the_search():
    assert player_config(EngineOptions(memory_budget=50_000_000)).search.memory_budget == 50_000_000
    default = player_config(EngineOptions()).search.memory_budget
    assert default >= 1_000_000_000  # the search's own default (1.5 GB) when no flag is given
    assert AnalysisSettings(parallel=4, memory_budget=800_000_000).turn_memory_budget == 200_000_000
