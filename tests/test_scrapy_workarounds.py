"""The Scrapy workarounds (crawler/scrapy_workarounds.py) hold for the installed Scrapy: it is the
version they were checked on, pyproject.toml pins that range, the private Scrapy members they rely
on still exist, and the crawl's settings use each of them. The behaviour itself is tested by
tests/test_crawler_politeness.py (robots.txt race, per-host limit) and the crawler tests."""

from __future__ import annotations

import inspect
import re
import tomllib
from importlib import import_module
from pathlib import Path

import scrapy
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.misc import load_object

from crawler.scrapy_workarounds import REACTOR, SCRAPY_CHECKED, WORKAROUNDS, scrapy_is_checked

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_scrapy_is_the_version_the_workarounds_were_checked_on() -> None:
    assert scrapy_is_checked(scrapy.__version__), scrapy.__version__
    assert not scrapy_is_checked("2.20.0") and not scrapy_is_checked("2.18.1")


def test_pyproject_pins_scrapy_to_the_checked_range() -> None:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d.replace(" ", "") for d in dependencies if re.match(r"scrapy\b", d, re.IGNORECASE)]
    (low_major, low_minor), (high_major, high_minor) = SCRAPY_CHECKED
    assert pins == [f"scrapy>={low_major}.{low_minor},<{high_major}.{high_minor}"]


def _has_member(path: str) -> bool:
    """Whether ``module.Class.member`` / ``module.name`` exists (instance attributes: assigned in ``__init__``)."""
    owner_path, member = path.rsplit(".", 1)
    try:
        owner = import_module(owner_path)
    except ImportError:
        owner = load_object(owner_path)
    if hasattr(owner, member):
        return True
    return inspect.isclass(owner) and f"self.{member}" in inspect.getsource(owner.__init__)


def test_the_private_scrapy_members_the_workarounds_rely_on_exist() -> None:
    missing = [(w.name, p) for w in WORKAROUNDS for p in w.private if not _has_member(p)]
    assert missing == []
    # The control: a member that does not exist is reported.
    assert not _has_member("scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware._no_such_member")


def test_the_crawl_settings_use_every_workaround() -> None:
    s = ScrapySettings()
    s.setmodule("crawler.settings", priority="project")
    middlewares = s.getdict("DOWNLOADER_MIDDLEWARES")
    for workaround in WORKAROUNDS:
        load_object(workaround.home)  # each home exists
    for home in ("crawler.middlewares.robots.SharedRobotsTxtMiddleware", "crawler.middlewares.cookies.OfflineCookiesMiddleware", "crawler.middlewares.retry.BackoffRetryMiddleware"):
        assert middlewares.get(home) is not None, home
    for stock in ("scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware", "scrapy.downloadermiddlewares.cookies.CookiesMiddleware", "scrapy.downloadermiddlewares.retry.RetryMiddleware"):
        assert stock in middlewares and middlewares[stock] is None, stock  # replaced, not run twice
    assert s["TWISTED_REACTOR"] == REACTOR != "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
