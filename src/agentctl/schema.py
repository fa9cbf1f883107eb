"""The newest migration revision, known without importing Alembic.

Commands compare the database's ``alembic_version`` with this constant, so the fast
commands never load Alembic. ``tests/test_migrations.py`` fails when it is stale.
"""

HEAD_REVISION = "0005_resolved_index"
