from pydantic import BaseModel


class Term(BaseModel):
    code: str
    label: str
    label_en: str


class Taxonomy(BaseModel):
    need_domains: list[Term]
    target_groups: list[Term]
    access_routes: list[Term]
    statutory_routes: list[Term]
    front_door_topics: list[Term]
    household_types: list[Term]
