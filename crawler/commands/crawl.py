"""``scrapy crawl annual_reports``: the nianbao crawl, run as ``nianbao crawl`` runs it.

Scrapy's own ``crawl`` command would only start the spider; this one runs ``crawler.run.crawl_in``
(ingest workers, the crawl, filing what it kept, the job directory) and logs the run summary at
the end. Another spider name, or spider arguments (``-a``), go to Scrapy's command unchanged.
"""

from __future__ import annotations

import argparse
import json
import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from core.settings import SettingsError

from crawler.spiders.annual_reports import AnnualReportsSpider

log = logging.getLogger(__name__)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args != [AnnualReportsSpider.name] or opts.spargs:
            super().run(args, opts)
            return
        from crawler.run import crawl_in  # imports the storage layer: only for this spider

        assert self.crawler_process is not None
        try:
            summary = crawl_in(self.crawler_process)
        except SettingsError as exc:  # a bad settings.yaml or request: one line, exit code 2
            raise UsageError(str(exc), print_help=False) from None
        log.info("crawl run summary: %s", json.dumps(summary, ensure_ascii=False, default=str))
        self.exitcode = 0 if summary["status"] == "finished" else 1
