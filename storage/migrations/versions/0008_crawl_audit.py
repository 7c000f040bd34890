"""the crawl audit: a decision and reason per list sighting, and one row per list page asked for

``list_sightings.decision``/``reason``: what the crawl did with a listed entry (followed, or
skipped and why). ``list_page_visits``: every list page a run asked for, with its answer, entry
count, the links its adapter dropped and whether pagination went on. Older rows keep NULL: they
predate the audit. No backfill: nothing recorded says what was decided then.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("list_sightings", sa.Column("decision", sa.String(length=20), nullable=True))
    op.add_column("list_sightings", sa.Column("reason", sa.String(length=40), nullable=True))
    op.create_table(
        "list_page_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("column_url", sa.String(length=2000), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("subcolumns", sa.Integer(), nullable=False),
        sa.Column("pagination", sa.String(length=20), nullable=True),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["crawl_run_id"], ["crawl_runs.id"]),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_list_page_visits_run_site", "list_page_visits", ["crawl_run_id", "site_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_list_page_visits_run_site", table_name="list_page_visits")
    op.drop_table("list_page_visits")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+), as in 0007.
    op.drop_column("list_sightings", "reason")
    op.drop_column("list_sightings", "decision")
