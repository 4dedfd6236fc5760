from pydantic import BaseModel, ConfigDict

from app.fields import schema_examples


class Term(BaseModel):
    code: str
    label: str
    label_en: str


class Taxonomy(BaseModel):
    model_config = ConfigDict(json_schema_extra=schema_examples({
        "need_domains": [{"code": "financien", "label": "Financiën", "label_en": "Finances"}],
        "target_groups": [{"code": "ouderen", "label": "Ouderen (65+)", "label_en": "Older people (65+)"}],
        "access_routes": [{"code": "vrij_toegankelijk", "label": "Vrij toegankelijk", "label_en": "Open access (self-referral)"}],
        "statutory_routes": [{"code": "wmo_2015", "label": "Wmo 2015", "label_en": "Social Support Act 2015"}],
        "front_door_topics": [{"code": "financien", "label": "Financiën", "label_en": "Finances"}],
        "household_types": [{"code": "alleenstaand", "label": "Alleenstaand", "label_en": "Single"}],
    }))

    need_domains: list[Term]
    target_groups: list[Term]
    access_routes: list[Term]
    statutory_routes: list[Term]
    front_door_topics: list[Term]
    household_types: list[Term]
