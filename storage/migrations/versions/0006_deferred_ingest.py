"""raw_documents carry their ingest state: the stored raw documents are the ingest queue

A crawl keeps each fetched document (bytes in the raw store, a ``raw_documents`` row) and marks it
``ingest_pending``; an ingest consumer, in another process or on another machine, claims pending
rows (``ingest_claim``, ``claimed_at``: a claim older than the stale limit is taken over), parses
them, files their reports and records ``ingest_outcome``. ``crawl_run_id`` is the run that last
fetched the document: its parse errors and its outcome count for that run.

Existing rows were ingested when they were fetched: not pending, outcome unknown.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_documents") as batch:
        batch.add_column(sa.Column("ingest_pending", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("ingest_claim", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("ingest_outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("crawl_run_id", sa.Integer(), nullable=True))
    op.create_index("ix_raw_documents_pending", "raw_documents", ["ingest_pending", "id"])
    op.create_index("ix_raw_documents_crawl_run", "raw_documents", ["crawl_run_id"])


def downgrade() -> None:
    op.drop_index("ix_raw_documents_crawl_run", table_name="raw_documents")
    op.drop_index("ix_raw_documents_pending", table_name="raw_documents")
    with op.batch_alter_table("raw_documents") as batch:
        for name in ("crawl_run_id", "ingest_outcome", "claimed_at", "ingest_claim", "ingest_pending"):
            batch.drop_column(name)
