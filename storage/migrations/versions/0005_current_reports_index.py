"""ix_reports_current gains published_on and source_url

The late check dismisses reports published by the earliest deadline of their year from the index
alone (SQLite defers reading the row until a column outside the index is needed), and the
backdating check matches list sightings to reports by URL from it, instead of each reading every
current report's row: rows of ~5 KB of prose spill into overflow pages, and walking a million of
them from disk read ~12 GB and took ~30 s. Rebuilding the index reads the reports table once.

Also ``ix_reports_source_url``: a crawl asks whether a report came from each page that answers
304 (and ``nianbao reparse --url`` looks reports up by URL); without it each question scanned
the reports table.

Revision ID: 0005
Revises: 0004
"""
from alembic import op


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BEFORE = ["superseded", "report_year", "agency_id", "id", "parsed_at"]


def upgrade() -> None:
    op.drop_index("ix_reports_current", table_name="reports")
    op.create_index("ix_reports_current", "reports", [*BEFORE, "published_on", "source_url"])
    op.create_index("ix_reports_source_url", "reports", ["source_url"])


def downgrade() -> None:
    op.drop_index("ix_reports_source_url", table_name="reports")
    op.drop_index("ix_reports_current", table_name="reports")
    op.create_index("ix_reports_current", "reports", BEFORE)
