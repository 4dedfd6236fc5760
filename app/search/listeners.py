"""What the search derives from the catalogue follows every write the change log records."""

from app.changelog.service import on_change
from app.search import cards, text


def follow_changes() -> None:
    """From now on, each write re-renders the search cards and refreshes the text search
    documents of what it wrote, in the writer's transaction. Each entry point that writes
    calls this once at start-up: the app (app/main.py), the command line (app/cli.py) and
    the demo loader (app/demo.py)."""
    on_change(cards.refresh)
    on_change(text.refresh)
