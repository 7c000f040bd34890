"""docs/extending.md's worked examples, built exactly as the page shows them, work end to end.

The modules and settings lines are taken from the page's code blocks, written into a package in a
temporary folder on ``PYTHONPATH`` and a settings file, and run through the CLI as a user would:
the OFD reader's document is parsed and filed by ``nianbao import``, the rule's finding appears in
``nianbao check`` and ``nianbao findings``. The OFD file is built here from a real report
(tests/data/seeds), its text laid out on a page as an OFD producer would: one text object per run
of characters, table cells apart on their row.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from core.mediatype import sniff_media_type
from parser.text_rows import text_to_rows
from tests.conftest import ROOT, SEEDS, run_cli

DOC = ROOT / "docs" / "extending.md"
SEED = SEEDS / "002_3d14e9be2d7413b2.txt"  # 平罗县审批服务管理局, 2024, format 2021
OTHER_SEED = SEEDS / "000_a4584f6e36514f0f.txt"
OFD_NS = "http://www.ofdspec.org/2016"


def doc_blocks() -> dict[str, str]:
    """The page's Python modules: its ``python`` code blocks whose first line is ``# PATH``."""
    blocks: dict[str, str] = {}
    for body in re.findall(r"^```python\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.M | re.S):
        first = body.partition("\n")[0]
        if first.startswith("# "):
            blocks[first[2:].strip()] = body
    return blocks


def merged_settings() -> dict:
    """Every ``# settings.yaml`` block of the page, merged (each is added to a user's file)."""
    out: dict = {}
    for body in re.findall(r"^```yaml\n# settings\.yaml\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.M | re.S):
        for top, value in yaml.safe_load(body).items():
            for key, entries in value.items():
                out.setdefault(top, {}).setdefault(key, {}).update(entries)
    return out


def write_project(root: Path, settings: dict) -> tuple[Path, dict[str, str]]:
    """The page's modules in ``root/extensions`` and a settings file with ``settings``."""
    for name, source in doc_blocks().items():
        module = root / "extensions" / name
        module.parent.mkdir(parents=True, exist_ok=True)
        (module.parent / "__init__.py").touch()
        module.write_text(source, encoding="utf-8")
    cfg = root / "settings.yaml"
    base = {"database": "sqlite:///data/nianbao.db", "storage": "data/raw", "outbox": "data/outbox"}
    cfg.write_text(yaml.safe_dump({**base, **settings}, allow_unicode=True), encoding="utf-8")
    return cfg, {"PYTHONPATH": str(root / "extensions")}


def ofd_from_text(text: str, size: float = 3.5, run: int = 12) -> bytes:
    """An OFD package laying out ``text``'s rows on one page: a text object per ``run``
    characters, the next cell of a table row four characters further on."""
    objects, y = [], 10.0
    for row in text_to_rows(text):
        cells = [c.strip() for c in row.cells] if row.table else [row.cells[0].strip()]
        if not any(cells):
            continue
        x = 20.0
        for cell in cells:
            for k in range(0, len(cell), run):
                piece = cell[k : k + run]
                objects.append(
                    f'<ofd:TextObject ID="{len(objects) + 1}" Boundary="{x:.2f} {y:.2f} {len(piece) * size:.2f} {size * 1.4:.2f}"'
                    f' Font="1" Size="{size}"><ofd:TextCode X="0" Y="{size}">{escape(piece)}</ofd:TextCode></ofd:TextObject>'
                )
                x += len(piece) * size
            x += 4 * size
        y += 2 * size
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    package = {
        "OFD.xml": f'{head}<ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD"><ofd:DocBody>'
        "<ofd:DocInfo><ofd:DocID>seed</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
        "</ofd:DocBody></ofd:OFD>",
        "Doc_0/Document.xml": f'{head}<ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData><ofd:PageArea>'
        f"<ofd:PhysicalBox>0 0 210 {y + 10:.0f}</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData>"
        '<ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        "Doc_0/Pages/Page_0/Content.xml": f'{head}<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="0">'
        f'{"".join(objects)}</ofd:Layer></ofd:Content></ofd:Page>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in package.items():
            z.writestr(name, xml)
    return buf.getvalue()


@pytest.fixture
def ofd_file(tmp_path: Path) -> Path:
    path = tmp_path / "files" / "平罗县审批服务管理局2024年政府信息公开工作年度报告.ofd"
    path.parent.mkdir()
    path.write_bytes(ofd_from_text(SEED.read_text(encoding="utf-8")))
    return path


def cli_json(*args: str, config: Path, env: dict[str, str]) -> list[dict]:
    out = run_cli(*args, "--format", "json", config=config, env=env)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_the_page_shows_a_module_and_settings_for_each_example() -> None:
    assert set(doc_blocks()) == {"nianbao_local/ofd.py", "nianbao_local/early_date.py"}
    settings = merged_settings()
    assert set(settings["parser"]["readers"].values()) == {"nianbao_local.ofd.OfdReader"}
    assert list(settings["monitor"]["checks"]) == ["nianbao_local.early_date.EarlyDateCheck"]


def test_reader_example_files_an_ofd_report_through_import(tmp_path: Path, ofd_file: Path) -> None:
    readers = merged_settings()["parser"]
    # The page names the media type core/mediatype.py gives an .ofd file.
    assert sniff_media_type(ofd_file.read_bytes(), None, ofd_file.name) in readers["readers"]

    cfg, env = write_project(tmp_path / "with", {"parser": readers})
    out = run_cli("import", str(ofd_file), config=cfg, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{ofd_file}: new " in out.stdout
    (from_ofd,) = cli_json("reports", config=cfg, env=env)

    # The same report published as text, filed without any extension: the OFD gave the same report.
    plain, _ = write_project(tmp_path / "plain", {})
    assert run_cli("import", str(SEED), config=plain).returncode == 0
    (from_text,) = cli_json("reports", config=plain, env={})
    for field in ("agency", "report_year", "format", "title", "cells"):
        assert from_ofd[field] == from_text[field], field
    assert from_ofd["cells"]["requests"] and from_ofd["parse_status"] in ("ok", "partial")

    # Without the settings lines the package is not read as a report at all.
    bare, _ = write_project(tmp_path / "bare", {})
    run_cli("import", str(ofd_file), config=bare)
    assert cli_json("reports", config=bare, env={}) == []


def test_rule_example_finding_appears_in_check_and_findings(tmp_path: Path, ofd_file: Path) -> None:
    checked_with_rule_example(tmp_path, ofd_file)


def checked_with_rule_example(tmp_path: Path, ofd_file: Path) -> tuple[Path, dict[str, str], list[dict]]:
    """Both reports imported and checked with the rule example; the settings file, the
    environment and the findings."""
    cfg, env = write_project(tmp_path, merged_settings())
    # The OFD report given a publication date inside its own report year; the other with its own.
    assert run_cli("import", str(ofd_file), "--published", "2024-06-30", config=cfg, env=env).returncode == 0
    assert run_cli("import", str(OTHER_SEED), config=cfg, env=env).returncode == 0

    out = run_cli("check", "--as-of", "2025-06-30", config=cfg, env=env)
    assert out.returncode == 0, out.stderr
    assert "early_date 1" in out.stdout
    findings = cli_json("findings", config=cfg, env=env)
    early = [f for f in findings if f["rule"] == "early_date"]
    assert len(early) == 1, early
    (dated,) = [r for r in cli_json("reports", config=cfg, env=env) if r["published_on"] == "2024-06-30"]
    assert (early[0]["agency"], early[0]["report_year"]) == (dated["agency"], dated["report_year"])
    assert early[0]["detail"] == f"{dated['report_year']}年度报告标注的发布日期为 2024-06-30，早于该年度结束，发布日期或报告年度有误"
    assert early[0]["kind_label"] == "发布日期早于报告年度" and early[0]["severity"] == "warning"
    # The built-in rules still ran beside it.
    assert any(f["kind"] == "missing_year" for f in findings)
    return cfg, env, findings


def test_rule_example_runs_the_same_in_the_stream_child_process(
    tmp_path: Path, ofd_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a large scope the stream checks run in a child process (monitor/stream_process.py):
    there too the rule is loaded by its path and given its column; nothing it found is resolved."""
    import monitor.stream_process as stream_process
    from core.settings import load_settings
    from monitor.check import run_check
    from monitor.context import CheckContext
    from storage.db import Database

    cfg, env, before = checked_with_rule_example(tmp_path, ofd_file)
    monkeypatch.syspath_prepend(env["PYTHONPATH"])  # the spawned child inherits sys.path
    monkeypatch.setattr(stream_process, "PROCESS_MIN_REPORTS", 1)
    settings = load_settings(cfg)
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            assert stream_process.worth_a_process(db, CheckContext(s, settings, date(2025, 6, 30)))
        summary = run_check(db, settings, date(2025, 6, 30))
    finally:
        db.dispose()
    assert summary["resolved"] == 0 and summary["new"] == 0 and summary["by_kind"]["early_date"] == 1
    after = cli_json("findings", config=cfg, env=env)
    assert [(f["fingerprint"], f["detail"]) for f in after] == [(f["fingerprint"], f["detail"]) for f in before]


@pytest.mark.parametrize(
    ("setting", "path", "command", "said"),
    [
        ("parser.readers", "nianbao_local.odf.OfdReader", "import", "cannot import module 'nianbao_local.odf'"),
        ("parser.readers", "nianbao_local.ofd.OfdRaeder", "import", "has no 'OfdRaeder'"),
        ("parser.readers", "nianbao_local.ofd.write_page", "import", "is not a reader class"),
        ("monitor.checks", "nianbao_local.early_date.EarlyDateChek", "check", "has no 'EarlyDateChek'"),
        ("monitor.checks", "nianbao_local.early_date.EARLY_DATE", "check", "is not a check class"),
    ],
)
def test_a_wrong_dotted_path_is_one_line_and_exit_2(
    tmp_path: Path, ofd_file: Path, setting: str, path: str, command: str, said: str
) -> None:
    section, key = setting.split(".")
    entry = {"application/zip": path} if key == "readers" else {path: 900}
    cfg, env = write_project(tmp_path, {section: {key: entry}})
    out = run_cli(command, *([str(ofd_file)] if command == "import" else []), config=cfg, env=env)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"nianbao: {setting}") and path in lines[0] and said in lines[0], lines[0]
