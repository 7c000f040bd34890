"""The monitor: stored reports → findings → digests. Data flows one way.

- ``monitor.check.run_check`` runs every rule family in ``monitor.rules`` over the current
  reports in scope and hands the drafts to ``monitor.lifecycle`` (new → open → resolved →
  reopened, acknowledgements kept).
- ``monitor.digest`` selects each recipient's findings, renders them (Jinja2, Chinese, text +
  HTML) and delivers them through the outbox and SMTP.
"""
