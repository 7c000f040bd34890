"""Scrapy commands of the nianbao project (``COMMANDS_MODULE`` in ``crawler.settings``)."""
