"""Downloader middlewares of the nianbao crawl (registered by dotted path in ``crawler.settings``)."""
