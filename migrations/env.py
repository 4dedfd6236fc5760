"""Alembic environment: runs migrations on the URL from the config or the settings."""

from alembic import context

import app.models
from app.db import UTCDateTime, make_engine
from app.dialect.fulltext import include_in_autogenerate
from app.settings import get_settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    # A migration may rewrite a large table: no statement timeout here.
    engine = make_engine(url, get_settings().model_copy(update={"db_statement_timeout": 0}))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Keep migrations free of app imports: our UTC wrapper is a plain aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    if connection.dialect.name != "sqlite":
        _migrate(connection)
        return
    # Batch mode rebuilds a SQLite table by copying it and dropping the original; with
    # foreign keys enforced, dropping a table that other rows reference fails (and a
    # cascade would delete them). SQLite's own advice for schema changes: switch
    # enforcement off (only possible outside a transaction), change the schema, then
    # check every reference before the transaction commits.
    driver = connection.connection.driver_connection
    driver.execute("PRAGMA foreign_keys = OFF")
    try:
        _migrate(connection, check_references=True)
    finally:
        driver.execute("PRAGMA foreign_keys = ON")


def _migrate(connection, check_references: bool = False) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=app.models.metadata,
        render_item=_render_item,
        # SQLite cannot ALTER most things in place; batch mode copies the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The search index is raw SQL, not a model: leave it out of comparisons.
        include_name=include_in_autogenerate,
    )
    with context.begin_transaction():
        context.run_migrations()
        if check_references:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"Migration left rows pointing nowhere (table, rowid, parent): {broken[:5]}")


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
