"""ix_crawl_errors_url and ix_list_sightings_list_url

On every list page holding a stored entry the crawl asks which links seen on those pages (a
detail page's attachments) failed for a reason that may pass (``crawler.known.failed``), and the
crawl errors of the entries themselves: both look-ups were full scans of ``crawl_errors`` or
``list_sightings``, growing with every site's history. ``ix_list_sightings_list_url`` also serves
the redirect and attachment look-ups of a page (``redirect_targets``, ``attachments_seen_on``).

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_crawl_errors_url", "crawl_errors", ["url"], unique=False)
    op.create_index("ix_list_sightings_list_url", "list_sightings", ["list_url"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_list_sightings_list_url", table_name="list_sightings")
    op.drop_index("ix_crawl_errors_url", table_name="crawl_errors")
