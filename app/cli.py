"""The `wijkkaart` command line."""

from typing import Annotated

import typer
import uvicorn
from alembic import command
from sqlmodel import Session

from app.clients.models import Role
from app.db import alembic_config, make_engine
from app.settings import get_settings

app = typer.Typer(help="Wijkkaart: the sociale kaart API.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
clients_app = typer.Typer(help="API clients and their keys.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")


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


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="A name people recognise, e.g. the team or the HIS vendor.")],
    role: Annotated[Role, typer.Option(help="reader, editor or admin.")],
    gemeente: Annotated[list[str] | None, typer.Option(help="For editors: a gemeente it maintains (repeat).")] = None,
    organisation: Annotated[list[str] | None, typer.Option(help="For editors: limit to this organisation id (repeat).")] = None,
) -> None:
    """Create an API client and print its key (the first admin key comes from here)."""
    from pydantic import ValidationError

    from app.clients.schemas import ClientWrite
    from app.clients.service import create_client
    from app.errors import DomainError

    engine = make_engine(get_settings().database_url)
    try:
        data = ClientWrite(name=name, role=role, gemeenten=gemeente or [], organisations=organisation or [])
        with Session(engine) as session, session.begin():
            created = create_client(session, data, None)
    except (ValidationError, DomainError) as exc:
        typer.echo(f"Not created: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    typer.echo(f"Client {created.name} ({created.role}) created, id {created.id}.")
    typer.echo("Its key, shown this once (only a digest is stored):")
    typer.echo(created.key)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn (docs at /docs)."""
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=True)


if __name__ == "__main__":
    app()
