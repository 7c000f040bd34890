"""The nianbao crawler: one Scrapy spider over every configured portal, CMS family adapters,
politeness and incremental-crawl middlewares, and the storage pipeline (``crawler.run`` runs it)."""
