"""digest_outbox.as_of: the check date a digest reports on

A digest that reports nothing new for a recipient and date already in the outbox is not written
again; older rows keep NULL (they predate the rule).

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("digest_outbox") as batch:
        batch.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch.create_index("ix_digest_outbox_recipient_as_of", ["recipient", "as_of"])


def downgrade() -> None:
    with op.batch_alter_table("digest_outbox") as batch:
        batch.drop_index("ix_digest_outbox_recipient_as_of")
        batch.drop_column("as_of")
