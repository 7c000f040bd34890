"""Every third-party module the code imports belongs to a distribution pyproject.toml declares.

The imports are read from the source (``ast``: imports inside functions count), so a new import of
a package that only happens to be installed (a dependency of a dependency) fails here, not on a
clean install. The application packages may use only ``[project] dependencies``; the tests may
also use the ``test`` extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FIRST_PARTY = set(PYPROJECT["tool"]["importlinter"]["root_packages"]) | {"tests"}


def _normalized(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    """The distribution names of ``requirements`` (``name[extra]>=1 ; marker`` → ``name``)."""
    names = set()
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"pyproject.toml: cannot read the requirement {requirement!r}"
        names.add(_normalized(match.group(1)))
    return names


def _top_level_imports(folder: Path) -> dict[str, set[str]]:
    """Top-level module → the files under ``folder`` importing it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for file in sorted(folder.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(file.relative_to(folder.parent)))
    return found


def _undeclared(folders: list[Path], declared: set[str]) -> list[str]:
    distributions = packages_distributions()
    problems = []
    for folder in folders:
        for module, files in sorted(_top_level_imports(folder).items()):
            if module in FIRST_PARTY or module in sys.stdlib_module_names:
                continue
            owners = {_normalized(d) for d in distributions.get(module, [])}
            if not owners:
                problems.append(f"{module} (imported by {', '.join(sorted(files))}): no installed distribution provides it")
            elif not owners & declared:
                problems.append(f"{module} (imported by {', '.join(sorted(files))}): from {', '.join(sorted(owners))}, not declared")
    return problems


def test_the_application_imports_only_declared_dependencies() -> None:
    declared = _declared(PYPROJECT["project"]["dependencies"])
    packages = [ROOT / p for p in sorted(FIRST_PARTY - {"tests"})]
    assert _undeclared(packages, declared) == []


def test_the_tests_import_only_declared_dependencies_and_test_extras() -> None:
    project = PYPROJECT["project"]
    declared = _declared(project["dependencies"]) | _declared(project["optional-dependencies"]["test"])
    assert _undeclared([ROOT / "tests"], declared) == []


def test_a_lazy_import_of_an_undeclared_distribution_is_caught(tmp_path: Path) -> None:
    # The check itself: pypdfium2 is installed (pdfplumber needs it) but not one of our dependencies.
    package = tmp_path / "crawler"
    package.mkdir()
    (package / "pages.py").write_text("import scrapy\n\ndef render():\n    import pypdfium2.raw\n", encoding="utf-8")
    problems = _undeclared([package], _declared(PYPROJECT["project"]["dependencies"]))
    assert problems == ["pypdfium2 (imported by crawler/pages.py): from pypdfium2, not declared"]
