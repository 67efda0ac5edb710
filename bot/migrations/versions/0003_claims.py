"""claims (encrypted personal items), conversation state encrypted (Text)

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receipt", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("dialog_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Text(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("personal_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("conversation_id", "dialog_seq", name="uq_claim_dialog"),
        sa.UniqueConstraint("receipt"),
    )
    op.create_index("ix_claims_conversation_id", "claims", ["conversation_id"])
    # Existing plain-JSON states stay readable (see bot.crypto.EncryptedJSON) and are
    # encrypted on their next write.
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("state", type_=sa.Text(), existing_nullable=False,
                           postgresql_using="state::text")


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.alter_column("state", type_=sa.JSON(), existing_nullable=False,
                           postgresql_using="state::json")
    op.drop_index("ix_claims_conversation_id", table_name="claims")
    op.drop_table("claims")
