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


def test_every_module_is_in_a_layers_contract():
    """A new module must take its place in the layers (pyproject.toml, import-linter):
    a module outside every contract could import anything."""
    import re
    from pathlib import Path

    import tomllib

    root = Path(__file__).resolve().parents[1]
    contracts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    placed: dict[str, set[str]] = {}
    for contract in contracts:
        if contract.get("type") != "layers":
            continue
        for container in contract["containers"]:
            names = {name for layer in contract["layers"] for name in re.split(r"\s*\|\s*", layer.strip())}
            placed.setdefault(container, set()).update(names)
    for package in ("goagent", "goagent.search", "selfplay", "gtp"):
        folder = root / package.replace(".", "/")
        modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
        modules |= {p.parent.name for p in folder.glob("*/__init__.py")}
        missing = modules - placed.get(package, set())
        assert not missing, f"{package}: {sorted(missing)} in no layers contract of pyproject.toml"
