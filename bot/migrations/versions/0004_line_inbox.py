"""line inbox: webhook events are stored (encrypted) and answered after the 200

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("line_events") as batch:
        # The event as LINE sent it, a Fernet token, while it waits; emptied once handled.
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
    op.create_index("ix_line_events_queue", "line_events", ["outcome", "source_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_line_events_queue", table_name="line_events")
    with op.batch_alter_table("line_events") as batch:
        batch.drop_column("payload")
