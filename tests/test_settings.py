"""Settings: the contract keys work, bad values are rejected with the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import DEFAULT_CHECKS, DEFAULT_READERS, SettingsError, load_settings, settings_from_dict
from tests.conftest import ROOT, run_cli


def test_contract_keys_and_relative_paths(tmp_path: Path) -> None:
    cfg = tmp_path / "conf" / "settings.yaml"
    cfg.parent.mkdir()
    cfg.write_text(
        """
database: sqlite:///data/nianbao.db
storage: data/raw
outbox: data/outbox
sites:
  - id: pingluo
    name: 平罗县人民政府
    region: 宁夏回族自治区/石嘴山市/平罗县
    level: county
    start_urls: ["http://www.pingluo.gov.cn/xxgk/zfxxgknb/"]
    cms: auto
""",
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.database_url == f"sqlite:///{cfg.parent / 'data' / 'nianbao.db'}"
    assert s.storage_dir == cfg.parent / "data" / "raw"
    assert s.outbox_dir == cfg.parent / "data" / "outbox"
    site = s.site("pingluo")
    assert site.name == "平罗县人民政府" and site.cms == "auto" and site.start_urls[0].endswith("/zfxxgknb/")


def test_shipped_settings_file_is_valid() -> None:
    s = load_settings(ROOT / "settings.yaml")
    assert {x.id for x in s.sites} >= {"pingluo", "pengyang", "ziyang", "xixia"}


def test_postgres_url_passes_through() -> None:
    s = settings_from_dict({"database": "postgresql+psycopg://u@db/nianbao"})
    assert s.database_url == "postgresql+psycopg://u@db/nianbao"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sites": [{"id": "Ping Luo", "name": "x", "start_urls": ["http://a/"]}]}, "sites.0.id: must be lower-case"),
        ({"sites": [{"id": "a", "name": "x", "start_urls": ["ftp://a/"]}]}, "sites.0.start_urls: 'ftp://a/' is not an http(s) URL"),
        ({"sites": [{"id": "a", "name": "x", "start_urls": []}]}, "sites.0.start_urls"),
        ({"sites": [{"id": "a", "name": "x", "start_urls": ["http://a/"], "cms": "wordpress"}]}, "sites.0.cms"),
        ({"sites": [{"id": "a", "start_urls": ["http://a/"]}]}, "sites.0.name: required key is missing"),
        ({"crawler": {"download_delay": -1}}, "crawler.download_delay"),
        ({"databse": "sqlite:///x.db"}, "databse: unknown key"),
        ({"recipients": [{"email": "not-an-address"}]}, "recipients.0.email: 'not-an-address' is not an e-mail address"),
        ({"schedules": {"check": "every day"}}, "check: 'every day' is not a 5-field cron expression"),
        ({"sites": [{"id": "a", "name": "x", "start_urls": ["http://a/"]}] * 2}, "site id 'a' appears twice"),
        ({"smtp": {"host": "mail", "security": "tls"}}, "smtp.security"),
        ({"parser": {"readers": {"ofd": "x.ofd.OfdReader"}}}, "parser.readers: 'ofd' is not a media type"),
        ({"parser": {"readers": {"application/ofd": "OfdReader"}}}, "parser.readers: application/ofd: 'OfdReader' is not a dotted path"),
        ({"monitor": {"checks": {"x.rules MyCheck": 900}}}, "monitor.checks: 'x.rules MyCheck' is not a dotted path"),
        ({"monitor": {"checks": {"x.rules.MyCheck": "first"}}}, "monitor.checks.x.rules.MyCheck"),
    ],
)
def test_bad_values_are_rejected_with_key_and_reason(data: dict, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        settings_from_dict(data, source="settings.yaml")
    assert message in str(err.value)
    assert str(err.value).startswith("settings.yaml: ")


def test_cli_reports_bad_settings_in_one_line_with_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("crawler:\n  concurrency_per_domain: zero\n", encoding="utf-8")
    out = run_cli("reports", config=cfg)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "crawler.concurrency_per_domain" in lines[0]


def test_cli_missing_config_and_bad_yaml(tmp_path: Path) -> None:
    out = run_cli("reports", config=tmp_path / "nope.yaml")
    assert out.returncode == 2 and "settings file not found" in out.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("sites: [\n", encoding="utf-8")
    out = run_cli("reports", config=bad)
    assert out.returncode == 2 and "not valid YAML" in out.stderr


def test_nianbao_config_environment_variable(tmp_path: Path) -> None:
    cfg = tmp_path / "other.yaml"
    cfg.write_text("database: sqlite:///elsewhere.db\n", encoding="utf-8")
    import os
    import subprocess
    import sys

    env = {**os.environ, "NIANBAO_CONFIG": str(cfg)}
    subprocess.run([sys.executable, "-m", "nianbao.cli", "reports"], cwd=str(ROOT), env=env, check=True, capture_output=True)
    assert (tmp_path / "elsewhere.db").exists()


def test_readers_and_checks_default_to_the_built_ins_and_merge_like_scrapy_components() -> None:
    plain = settings_from_dict({})
    assert plain.parser.reader_paths == DEFAULT_READERS
    assert plain.monitor.check_paths == list(DEFAULT_CHECKS)  # in the order of their numbers

    s = settings_from_dict(
        {
            "parser": {"readers": {"Application/OFD": "x.ofd.OfdReader", "application/pdf": None}},
            "monitor": {
                "checks": {
                    "x.rules.EarlyCheck": 50,
                    "x.rules.LateCheck": 900,
                    "monitor.rules.duplicate.DuplicateCheck": None,
                    "monitor.rules.crawl.CrawlHealthCheck": 1000,
                }
            },
        }
    )
    readers = s.parser.reader_paths
    assert readers["application/ofd"] == "x.ofd.OfdReader"  # added, media type lower-cased
    assert "application/pdf" not in readers and readers["application/x-pdf"] == DEFAULT_READERS["application/x-pdf"]
    checks = s.monitor.check_paths
    assert checks[0] == "x.rules.EarlyCheck" and checks[-2:] == ["x.rules.LateCheck", "monitor.rules.crawl.CrawlHealthCheck"]
    assert "monitor.rules.duplicate.DuplicateCheck" not in checks
    assert [c for c in checks if c.startswith("monitor.")] == [
        c for c in DEFAULT_CHECKS if c not in ("monitor.rules.duplicate.DuplicateCheck", "monitor.rules.crawl.CrawlHealthCheck")
    ] + ["monitor.rules.crawl.CrawlHealthCheck"]


def test_every_built_in_reader_and_check_loads() -> None:
    from monitor.rules import load_checks
    from parser.readers import Readers

    readers = Readers.from_paths(DEFAULT_READERS)
    assert sorted(readers.media_types) == sorted(DEFAULT_READERS)
    checks = load_checks(list(DEFAULT_CHECKS))
    loaded = [*checks.set, *checks.stream, *checks.review]
    assert sorted(f"{c.__module__}.{c.__name__}" for c in loaded) == sorted(DEFAULT_CHECKS)
    assert {c.lane for c in checks.set} <= {"set", "side"} and checks.side == tuple(c for c in checks.set if c.lane == "side")
    assert {c.lane for c in checks.stream} == {"stream"} and {c.lane for c in checks.review} == {"review"}
