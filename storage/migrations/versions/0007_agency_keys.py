"""agencies carry a name key; sites carry their agency aliases: one body, one row, whatever its name's form

``agencies.name_key`` is core.agencies.agency_key of the name in its site's region (spaces,
brackets, traditional characters, the site's region prefix, short forms such as 县政府办), unique
per site. ``sites.agency_aliases`` holds the aliases settings declare, as keys, so that every
process filing reports resolves them (storage.sites.sync_sites writes them), and
``sites.agency_rules`` the version of the naming rules its agencies were keyed with (NULL here: the
next sync rekeys every site once).

Backfill: each stored agency gets the key of its name. Rows that were one body stored under two
names would share a key: all but the first (by id) get a provisional key (``key#id``), and the
next sync of the sites (every command starts with one) merges them into the first.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

from core.agencies import agency_key

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sites", sa.Column("agency_aliases", sa.JSON(), nullable=True))
    op.add_column("sites", sa.Column("agency_rules", sa.Integer(), nullable=True))
    op.add_column("agencies", sa.Column("name_key", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    agencies = sa.table("agencies", sa.column("id", sa.Integer), sa.column("site_id", sa.String), sa.column("name", sa.String), sa.column("name_key", sa.String))
    sites = sa.table("sites", sa.column("id", sa.String), sa.column("region", sa.String))
    rows = conn.execute(
        sa.select(agencies.c.id, agencies.c.site_id, agencies.c.name, sites.c.region)
        .select_from(agencies.outerjoin(sites, sites.c.id == agencies.c.site_id))
        .order_by(agencies.c.id)
    ).all()
    taken: set[tuple[str, str]] = set()
    values = []
    for agency_id, site_id, name, region in rows:
        key = agency_key(name, region or "")
        if (site_id, key) in taken:
            key = f"{key}#{agency_id}"  # provisional: storage.sites.sync_sites merges it
        taken.add((site_id, key))
        values.append({"b_id": agency_id, "b_key": key[:200]})
    if values:
        conn.execute(
            agencies.update().where(agencies.c.id == sa.bindparam("b_id")).values(name_key=sa.bindparam("b_key")), values
        )
    op.create_index("ix_agencies_site_key", "agencies", ["site_id", "name_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_agencies_site_key", table_name="agencies")
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would drop tables other tables
    # refer to, which SQLite's foreign keys refuse.
    op.drop_column("agencies", "name_key")
    op.drop_column("sites", "agency_rules")
    op.drop_column("sites", "agency_aliases")
