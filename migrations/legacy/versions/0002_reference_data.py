"""reference data: the 13 ZRM need domains and the target groups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The life domains of the Zelfredzaamheid-Matrix, in the matrix's own order.
NEED_DOMAINS = [
    ("financien", "Financiën", "Finances"),
    ("werk_opleiding", "Werk & opleiding", "Work & education"),
    ("tijdsbesteding", "Tijdsbesteding", "Use of time"),
    ("huisvesting", "Huisvesting", "Housing"),
    ("huiselijke_relaties", "Huiselijke relaties", "Domestic relations"),
    ("geestelijke_gezondheid", "Geestelijke gezondheid", "Mental health"),
    ("lichamelijke_gezondheid", "Lichamelijke gezondheid", "Physical health"),
    ("middelengebruik", "Middelengebruik", "Substance use"),
    ("basale_adl", "Basale ADL", "Basic activities of daily living"),
    ("instrumentele_adl", "Instrumentele ADL", "Instrumental activities of daily living"),
    ("sociaal_netwerk", "Sociaal netwerk", "Social network"),
    ("maatschappelijke_participatie", "Maatschappelijke participatie", "Participation in society"),
    ("justitie", "Justitie", "Justice"),
]

TARGET_GROUPS = [
    ("jeugd", "Jeugd (0-17)", "Children and youth (0-17)"),
    ("jongvolwassenen", "Jongvolwassenen (18-27)", "Young adults (18-27)"),
    ("ouders", "Ouders en opvoeders", "Parents and carers of children"),
    ("ouderen", "Ouderen (50+)", "Older people (50+)"),
    ("mantelzorgers", "Mantelzorgers", "Informal carers"),
    ("statushouders", "Statushouders", "Refugees with a residence permit"),
    ("ex_gedetineerden", "Ex-gedetineerden", "People leaving prison"),
    ("laaggeletterden", "Laaggeletterden", "Low-literate people"),
    ("mensen_met_beperking", "Mensen met een beperking", "People with a disability"),
    ("dak_en_thuislozen", "Dak- en thuislozen", "Homeless people"),
]


def _rows(items: list[tuple[str, str, str]]) -> list[dict[str, object]]:
    return [
        {"code": code, "label": label, "label_en": label_en, "position": position}
        for position, (code, label, label_en) in enumerate(items, start=1)
    ]


def _table(name: str) -> sa.Table:
    return sa.table(
        name,
        sa.column("code", sa.String),
        sa.column("label", sa.String),
        sa.column("label_en", sa.String),
        sa.column("position", sa.Integer),
    )


def upgrade() -> None:
    op.bulk_insert(_table("need_domain"), _rows(NEED_DOMAINS))
    op.bulk_insert(_table("target_group"), _rows(TARGET_GROUPS))


def downgrade() -> None:
    # Catalogue entries (0001's tables) may refer to these rows; they keep the ones in use,
    # as a downgrade must not delete a steward's data or leave it pointing nowhere.
    op.execute(
        "DELETE FROM target_group WHERE code NOT IN (SELECT group_code FROM service_target_group) "
        "AND code NOT IN (SELECT required_target_group FROM eligibility WHERE required_target_group IS NOT NULL)"
    )
    op.execute("DELETE FROM need_domain WHERE code NOT IN (SELECT domain_code FROM service_need_domain)")
