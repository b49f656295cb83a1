"""Architecture rules that import-linter cannot express."""

from __future__ import annotations

import subprocess
import sys


def test_import_goagent_core_does_not_import_torch():
    code = (
        "import sys, goagent, goagent.cli, goagent.game, goagent.sgf, goagent.board;"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_building_the_command_line_imports_neither_numba_nor_torch():
    """`goagent --help`, `goagent show` and the GTP handshake must start fast."""
    code = (
        "import sys, goagent.cli; goagent.cli.build_parser();"
        "print('numba' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
