"""The layers of the package: a layer never imports from the one above it (style.md).

From the bottom: `lib` and `scoring` (no Django), the domain apps, then the ways in — the site (`web`), the API
(`api`), the demo — which the domain never imports; the API does not import the site either. The daily report
(`intake`) and the import (`exchange`) share the cell parsers from `lib`, below both.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "thidua"
DOMAIN = ["territory", "campaigns", "units", "intake", "audit", "exchange", "accounts", "standings", "backup",
          "awards", "documents", "monitoring"]
# What each part may not import (its own modules are always allowed).
FORBIDDEN = {
    "lib": {"django", *(f"thidua.{p}" for p in [*DOMAIN, "scoring", "web", "api", "demo"])},
    "scoring": {"django", *(f"thidua.{p}" for p in [*DOMAIN, "web", "api", "demo"])},
    **{app: {"thidua.web", "thidua.api", "thidua.demo"} for app in DOMAIN},
    "api": {"thidua.web", "thidua.demo"},
}
FORBIDDEN["intake"] |= {"thidua.exchange"}


def imports_of(path: Path) -> set[str]:
    """Return the modules a file imports (absolute names)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_a_part_imports_nothing_from_the_layers_above_it(part):
    found = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[part]):
                found.append(f"{path.relative_to(PACKAGE)}: {name}")
    assert not found, found


def test_loading_the_site_does_not_load_the_solver():
    # OR-Tools (and the pandas it pulls in) weighs 50 MiB: only a process that plans loads it, not every command
    # that reads the site's addresses (an import of 5 MB is answered within 200 MiB: tests/test_import_processes.py).
    import subprocess
    import sys

    code = ("import django, sys; django.setup(); import thidua.web.urls, thidua.monitoring.support; "
            "print('ortools' in sys.modules, 'pandas' in sys.modules)")
    env = {**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "thidua.settings"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == ["False", "False"]
