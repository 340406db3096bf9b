"""The vendored front-end files are exactly those recorded in VENDORED.md."""

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "thidua" / "web" / "static" / "vendor"


def recorded() -> list[tuple[str, str]]:
    """Return (file, sha256) of every row of VENDORED.md's table."""
    rows = re.findall(r"^\| [^|]+ \| [^|]+ \| `([^`]+)` \|.*\| ([0-9a-f]{64}) \|", (VENDOR / "VENDORED.md").read_text(),
                      re.MULTILINE)
    assert rows, "VENDORED.md lists no file"
    return rows


def test_every_vendored_file_matches_its_recorded_hash():
    for name, sha in recorded():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == sha, name


def test_every_vendored_script_and_style_sheet_is_recorded():
    listed = {name for name, _ in recorded()}
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*") if p.suffix in {".js", ".css"}}
    assert present == listed


def test_the_style_sheet_closes_every_block():
    # An unclosed block swallows every rule after it (a media query for phones once held the desktop's rules).
    depth = 0
    text = re.sub(r"/\*.*?\*/", "", (Path(__file__).resolve().parent.parent / "thidua/web/static/thidua/app.css")
                  .read_text(encoding="utf-8"), flags=re.S)
    for line in text.splitlines():
        depth += line.count("{") - line.count("}")
        assert depth >= 0, line
        if line and not line[0].isspace() and line[0] != "}" and "{" not in line:
            assert depth == 0, f"a rule outside its block: {line}"
    assert depth == 0
