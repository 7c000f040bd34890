"""report_facts.form_review and text_review: whether the form / text-vs-table rules can fire

A check reads whole only the reports these flag; the duplicate check's sketch and the two flags
are all the report stream reads of the others. Existing rows get true (every report read whole,
as before: never a finding missed) and FACTS_VERSION 2 makes the next check derive them properly.

Plain op.add_column, not batch mode: SQLite adds a column with a constant default in place, and
nothing here may copy a table of a million wide rows.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("report_facts", sa.Column("form_review", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("report_facts", sa.Column("text_review", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("report_facts") as batch:
        batch.drop_column("text_review")
        batch.drop_column("form_review")
