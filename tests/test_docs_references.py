"""The project's docs hold every fact its code cites: each `docs/….md` named in code or docs exists
in this repository, and nothing points at documents outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `docs/portals.md`, `report-format.md §4`, and in docs/ a link `](crawling.md)`: a page of docs/.
CITED = re.compile(r"docs/([a-z][a-z0-9-]*\.md)\b|\b([a-z][a-z0-9-]*\.md) §|\]\(([a-z][a-z0-9-]*\.md)[)#]")
OUTSIDE = re.compile(r"(/work/|\.\./shared/|shared/docs/|shared/seeds/)")
NOT_DOCS = {"README.md", "SOURCES.md", "INDEX.md", "CHANGELOG.md"}


def _tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    keep = (".py", ".md", ".j2", ".yaml", ".toml", ".cfg")
    return [ROOT / f for f in out.stdout.splitlines() if f.endswith(keep) and not f.startswith("tests/corpus/")]


def test_every_cited_doc_is_in_the_repository() -> None:
    missing = []
    for path in _tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        names = {n for groups in CITED.findall(text) for n in groups if n}
        for name in names - NOT_DOCS:
            if not (ROOT / "docs" / name).is_file():
                missing.append(f"{path.relative_to(ROOT)} cites {name}")
    assert not missing, "\n".join(sorted(missing))


def test_nothing_points_outside_the_repository() -> None:
    outside = []
    for path in _tracked_text_files():
        if path == Path(__file__):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                outside.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert not outside, "\n".join(outside)
