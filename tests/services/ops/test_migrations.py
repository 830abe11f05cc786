from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import base_config
from tracker import create_app
from tracker.extensions import db


def test_migrations_build_exactly_the_models_schema(app):
    """The schema comes from the migrations; a model change without its migration fails here."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"render_as_batch": True}), db.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(app, tmp_path):
    other = create_app({**base_config(f"sqlite:///{tmp_path / 'roundtrip.sqlite'}")})
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), db.metadata) == []
        db.engine.dispose()
