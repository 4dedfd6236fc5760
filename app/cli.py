"""The `wijkkaart` command line."""

from typing import Annotated

import typer
import uvicorn
from alembic import command
from sqlmodel import Session

from app.db import alembic_config, make_engine
from app.settings import get_settings

app = typer.Typer(help="Wijkkaart: the sociale kaart API.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    command.upgrade(alembic_config(get_settings().database_url), revision)
    typer.echo(f"Database at {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base.")] = "-1") -> None:
    """Revert migrations down to REVISION."""
    command.downgrade(alembic_config(get_settings().database_url), revision)
    typer.echo(f"Database downgraded to {revision}.")


@seed_app.command("demo")
def seed_demo() -> None:
    """Load the demo region (Middelburg, Vlissingen, Veere); running it again changes nothing."""
    from app.demo import load_demo

    engine = make_engine(get_settings().database_url)
    with Session(engine) as session, session.begin():
        changed = load_demo(session)
    summary = ", ".join(f"{kind} {count}" for kind, count in changed.items())
    typer.echo(f"Demo data loaded; changed: {summary}.")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn (docs at /docs)."""
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=True)


if __name__ == "__main__":
    app()
