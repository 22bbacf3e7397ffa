"""reference key: documents found by their reference as people type it

Revision ID: 5b1d0c7e9a42
Revises: a7c31e5b9d20
Create Date: 2026-12-02 09:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '5b1d0c7e9a42'
down_revision: Union[str, Sequence[str], None] = 'a7c31e5b9d20'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


REFERENCE_KEY = (
    "upper(replace(replace(replace(replace(reference, '-', ''), '/', ''), '.', ''), '_', ''))"
)


def _recreate() -> str:
    # SQLite cannot add a stored generated column in place: the batch copies the table there.
    return 'always' if op.get_context().dialect.name == 'sqlite' else 'auto'


def upgrade() -> None:
    """Add the generated reference key and its index."""
    with op.batch_alter_table('documents', schema=None, recreate=_recreate()) as batch_op:
        batch_op.add_column(
            sa.Column('reference_key', sa.String(length=40),
                      sa.Computed(REFERENCE_KEY, persisted=True), nullable=False)
        )
        batch_op.create_index(batch_op.f('ix_documents_reference_key'), ['reference_key'],
                              unique=False)


def downgrade() -> None:
    """Drop the reference key."""
    with op.batch_alter_table('documents', schema=None, recreate=_recreate()) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_reference_key'))
        batch_op.drop_column('reference_key')
