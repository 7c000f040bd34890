"""The distributed crawl: one crawl run over many worker processes sharing a request queue in Redis
(docs/distributed-crawl.md). ``queue`` (the Redis queue), ``payload`` (requests in it as JSON),
``state`` (shared decisions), ``scheduler`` (the workers' Scrapy scheduler), ``robots`` (shared
robots.txt), ``worker`` and ``coordinator`` (the two processes), ``summary`` (the run summary from
every worker's counters)."""
