"""service search: the stemmed free-text index of services

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

SQLite: an FTS5 table. PostgreSQL: a tsvector per service with a GIN index. Both hold
the same dutch_porter stems (app/search/text.py makes them; app/dialect/fulltext.py writes them).
The backfill below repeats that stemming so this migration stays as it is when the app
changes.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

import snowballstemmer  # type: ignore[import-untyped]
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As in app/search/text.py at the time of this revision.
STOP_WORDS = frozenset(
    "aan al als bij dan dat de deze die dit door een en er het hij hun ik in is je kan "
    "maar met na naar niet nog of om ook op te tot u uit van voor wat wie zich zij zo".split()
)
MAX_TSVECTOR_POSITION = 16_383


def _stems(text: str) -> list[str]:
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    words = [w for w in re.findall(r"[^\W_]+", folded) if len(w) >= 2 and w not in STOP_WORDS]
    stemmed = (re.sub(r"[^a-z0-9]+", "", s) for s in snowballstemmer.stemmer("dutch_porter").stemWords(words))
    return [s for s in stemmed if s]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.create_table(
            "service_search",
            sa.Column("service_id", sa.Uuid(), sa.ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
            sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        )
        op.create_index("ix_service_search_document", "service_search", ["document"], postgresql_using="gin")
    else:
        op.execute("CREATE VIRTUAL TABLE service_search USING fts5(document, service_id UNINDEXED)")
    _backfill(postgres)


def _backfill(postgres: bool) -> None:
    connection = op.get_bind()
    labels: defaultdict[object, list[str]] = defaultdict(list)
    for service_id, label in connection.execute(sa.text(
        "SELECT l.service_id, d.label FROM service_need_domain l JOIN need_domain d ON d.code = l.domain_code "
        "ORDER BY d.position"
    ).columns(sa.column("service_id", sa.Uuid()), sa.column("label", sa.String()))):
        labels[service_id].append(label)
    services = connection.execute(sa.text(
        "SELECT s.id, s.name, s.description, o.name FROM service s JOIN organisation o ON o.id = s.organisation_id "
        "WHERE s.deleted_at IS NULL"
    ).columns(sa.column("id", sa.Uuid()), sa.column("name"), sa.column("description"), sa.column("organisation")))
    insert = sa.text(
        "INSERT INTO service_search (service_id, document) VALUES "
        + ("(:service_id, CAST(:document AS tsvector))" if postgres else "(:service_id, :document)")
    ).bindparams(sa.bindparam("service_id", type_=sa.Uuid()))
    for service_id, name, description, organisation in services.all():
        stems = _stems(" ".join([name, description or "", organisation, *labels[service_id]]))
        if postgres:
            document = " ".join(f"{s}:{min(i, MAX_TSVECTOR_POSITION)}" for i, s in enumerate(stems, 1))
        else:
            document = " ".join(stems)
        connection.execute(insert, {"service_id": service_id, "document": document})


def downgrade() -> None:
    op.drop_table("service_search")
