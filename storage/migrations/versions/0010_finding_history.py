"""check_runs and finding_events: each finding's history, run by run

``check_runs``: one row per check (when, as of which day, over which sites). ``finding_events``:
each change of a finding (new, resolved, reopened by a check; acknowledged, moved by an officer).
With both, a finding's page lists every check that saw it. Findings older than this revision
have no events: their pages fall back to first and last seen. No backfill: nothing recorded says
when they changed.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_runs_at", "check_runs", ["at"], unique=False)
    op.create_table(
        "finding_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("check_run_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["check_run_id"], ["check_runs.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_finding_events_finding", "finding_events", ["finding_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_finding_events_finding", table_name="finding_events")
    op.drop_table("finding_events")
    op.drop_index("ix_check_runs_at", table_name="check_runs")
    op.drop_table("check_runs")
