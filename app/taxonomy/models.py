"""Reference data: ZRM need domains and target groups (rows come from the migrations)."""

from sqlmodel import Field, SQLModel


class NeedDomain(SQLModel, table=True):
    """One of the 13 life domains of the Zelfredzaamheid-Matrix (ZRM)."""

    __tablename__ = "need_domain"

    code: str = Field(primary_key=True, max_length=40)
    label: str
    label_en: str
    position: int


class TargetGroup(SQLModel, table=True):
    __tablename__ = "target_group"

    code: str = Field(primary_key=True, max_length=40)
    label: str
    label_en: str
    position: int
