"""The `wijkkaart` command line."""

import os
import secrets
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from app.client_admin.schemas import ClientWrite
from app.client_admin.service import create_client
from app.clients.models import Role
from app.clients.scope import Actor
from app.db import downgrade_schema, make_engine, upgrade_schema
from app.demo import load_demo
from app.errors import DomainError, InvalidInput
from app.imports.export import export_csv
from app.imports.reading import Source, normalise_entity
from app.imports.service import read_sources, run_import
from app.national.importer import import_areas
from app.referrals.service import purge as purge_referrals
from app.search.index.writer import bring_up_to_date, follow_changes
from app.settings import SECRET_HELP, get_settings

app = typer.Typer(help="Wijkkaart: the sociale kaart API.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
seed_app = typer.Typer(help="Load data.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(seed_app, name="seed")
clients_app = typer.Typer(help="API clients and their keys.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
areas_app = typer.Typer(help="CBS areas and postcodes (reference data).", no_args_is_help=True)
app.add_typer(areas_app, name="areas")
referrals_app = typer.Typer(help="Referrals and their retention.", no_args_is_help=True)
app.add_typer(referrals_app, name="referrals")


@app.callback()
def _start() -> None:
    # Every command that writes keeps the search index following its writes.
    follow_changes()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION (default: the newest), then write what the search
    index lacks or holds stale (app/search/index/). A database older than the baseline
    migration is taken through the legacy migrations first (migrations/legacy/)."""
    url = get_settings().database_url
    upgrade_schema(url, revision)
    typer.echo(f"Database at {revision}.")
    if revision != "head":
        return  # an older schema may not hold the index
    with Session(make_engine(url)) as session, session.begin():
        written = bring_up_to_date(session)
    typer.echo(f"Search index brought up to date: {written['cards']} cards rendered, {written['documents']} "
               "documents written.")


# A relative target such as -1 looks like an option to the parser: take it as the argument.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target, e.g. -1 or base.")] = "-1") -> None:
    """Revert migrations down to REVISION. Below the baseline (0018), whose own downgrade drops
    the whole schema, name a legacy revision (e.g. 0017): the legacy migrations revert to it."""
    downgrade_schema(get_settings().database_url, revision)
    typer.echo(f"Database downgraded to {revision}.")


@seed_app.command("demo")
def seed_demo() -> None:
    """Load the demo region (Middelburg, Vlissingen, Veere); running it again changes nothing."""
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session, session.begin():
        changed = load_demo(session)
    summary = ", ".join(f"{kind} {count}" for kind, count in changed.items())
    typer.echo(f"Demo data loaded; changed: {summary}.")


@referrals_app.command("purge")
def referrals_purge(
    months: Annotated[int | None, typer.Option(
        min=1, help="Keep this many months (default: WIJKKAART_REFERRAL_RETENTION_MONTHS, 13).")] = None,
) -> None:
    """Delete referrals made before the first day of the month MONTHS months back, with their
    steps; schedule it (monthly, say)."""
    settings = get_settings()
    with Session(make_engine(settings.database_url)) as session, session.begin():
        count = purge_referrals(session, months or settings.referral_retention_months)
    typer.echo(f"Purged {count} referral(s).")


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="A name people recognise, e.g. the team or the HIS vendor.")],
    role: Annotated[Role, typer.Option(help="reader, practice, editor or admin.")],
    gemeente: Annotated[list[str] | None, typer.Option(help="For editors: a gemeente it maintains (repeat).")] = None,
    organisation: Annotated[list[str] | None, typer.Option(help="For editors: limit to this organisation id (repeat).")] = None,
) -> None:
    """Create an API client and print its key (the first admin key comes from here)."""
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


@app.command("import")
def import_files(
    files: Annotated[list[str], typer.Argument(
        help="CSV or JSON files, named after what they hold (services.csv), or KIND=FILE (services=export.csv).",
    )],
    dry_run: Annotated[bool, typer.Option(help="Report what the import would do, and write nothing.")] = False,
    on_behalf_of: Annotated[str | None, typer.Option(help="The staff member this is for (audit trail).")] = None,
) -> None:
    """Import entries in bulk, all or nothing, as the system (like `seed demo`): whoever
    runs commands against the database maintains every gemeente anyway."""
    engine = make_engine(get_settings().database_url)
    with ExitStack() as files_open:
        sources = []
        for argument in files:
            kind, _, name = argument.rpartition("=") if "=" in argument else ("", "", argument)
            if kind and normalise_entity(kind) is None:
                typer.echo(f"{argument}: {kind} is not a kind of entry.", err=True)
                raise typer.Exit(code=2)
            path = Path(name)
            if not path.is_file():
                typer.echo(f"{name}: no such file.", err=True)
                raise typer.Exit(code=2)
            sources.append(Source(path.name, files_open.enter_context(path.open("rb")), normalise_entity(kind)))
        parts, errors = read_sources(sources)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        try:
            with Progress(*columns, transient=True) as bar, Session(engine) as session, session.begin():
                task = bar.add_task("rows", total=sum(part.total for part in parts))
                report = run_import(
                    session, parts, Actor("cli:import", on_behalf_of=on_behalf_of), dry_run=dry_run,
                    errors=errors, progress=lambda rows: bar.advance(task, rows),
                )
        except InvalidInput as exc:
            for error in exc.extra["errors"]:
                where = f"{error['file']}" + (f" row {error['row']}" if error["row"] else "")
                typer.echo(f"{where}, {error['field']}: {error['message']}", err=True)
            typer.echo(f"Nothing imported: {len(exc.extra['errors'])} problem(s).", err=True)
            raise typer.Exit(code=1) from exc
    for kind, counts in report.counts.items():
        if counts.created or counts.updated or counts.unchanged:
            typer.echo(f"{kind}: {counts.created} created, {counts.updated} changed, {counts.unchanged} unchanged")
    typer.echo("Dry run: nothing was written." if dry_run else "Imported.")


@app.command("export")
def export_file(
    kind: Annotated[str, typer.Argument(help="organisations, locations, services, contacts or front_doors.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="File to write; default: KIND.csv.")] = None,
    gemeente: Annotated[str | None, typer.Option(help="Only the entries this gemeente owns.")] = None,
    delimiter: Annotated[str, typer.Option(help="; (with decimal commas) or ,")] = ";",
) -> None:
    """Export one kind of entry as CSV in the import layout."""
    entity = normalise_entity(kind)
    if entity is None or delimiter not in (";", ","):
        typer.echo(f"Not a kind of entry ({kind}) or not a delimiter ({delimiter}).", err=True)
        raise typer.Exit(code=2)
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session, session.begin():
        text = export_csv(session, entity, Actor("cli:export"), gemeente, delimiter)
    path = Path(output or f"{entity}.csv")
    path.write_text(text, encoding="utf-8", newline="")
    typer.echo(f"{path}: {text.count(chr(10)) - 1} {entity}.")


@areas_app.command("import")
def areas_import(
    paths: Annotated[list[str], typer.Argument(
        help="Files or directories (their .csv files): CBS label points or gemeenten list, a PC4 list, "
        "the CBS PC6 table, a successor list (old_code,new_code,year).",
    )],
    year: Annotated[int | None, typer.Option(help="The year of the lists, when neither file name nor header says.")] = None,
) -> None:
    """Load the CBS area division and postcodes, as the system; running it again changes nothing.
    A newer year retires codes it no longer has; with successors, catalogue entries follow them."""
    engine = make_engine(get_settings().database_url)
    columns = (TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, transient=True) as bar, Session(engine) as session, session.begin():
            task = bar.add_task("reading files", total=None)

            def report(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            summary = import_areas(session, [Path(p) for p in paths], year=year, progress=report)
    except InvalidInput as exc:
        typer.echo(f"Nothing imported: {exc.detail}", err=True)
        raise typer.Exit(code=2) from exc
    for line in summary.lines():
        typer.echo(line)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the API with uvicorn (docs at /docs). Without WIJKKAART_SECRET_KEY it serves only
    on a loopback address (a demo on this machine), with a secret made up for this run."""
    if not get_settings().secret_key:
        if host not in LOOPBACK_HOSTS:
            typer.echo(f"Not serving on {host}: {SECRET_HELP}", err=True)
            raise typer.Exit(code=2)
        # Set in the environment, so that every worker process signs with the same one.
        os.environ["WIJKKAART_SECRET_KEY"] = secrets.token_urlsafe(32)
        get_settings.cache_clear()
        typer.echo(
            "WIJKKAART_SECRET_KEY is not set: serving on this machine only, with a secret made up for this run. "
            "Cursors handed out now (also sync cursors) are refused after a restart.", err=True,
        )
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, proxy_headers=True)


if __name__ == "__main__":
    app()
