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
