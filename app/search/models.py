"""What the search derives from the catalogue, to read it fast. Only the index
(app/search/index/) writes this table, from the catalogue's own."""

import uuid

from sqlalchemy import Text
from sqlmodel import Field, SQLModel


class SearchCard(SQLModel, table=True):
    """One catalogue entry's part of a search result, as JSON, rendered when the entry is
    written (app/search/cards.py): a page reads twenty of these instead of building them."""

    __tablename__ = "search_card"

    kind: str = Field(primary_key=True, max_length=16)  # service, location or contact
    entity_id: uuid.UUID = Field(primary_key=True)
    # The card layout it was rendered in: cards of another one are read as missing.
    format: int
    body: str = Field(sa_type=Text)
