"""Entity versions as HTTP ETags, and the If-Match that every change must carry."""

from fastapi import Response

from app.errors import PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def expected_versions(if_match: str | None, *, required: bool = True) -> frozenset[int] | None:
    """The versions an If-Match names: 428 when it is missing (where required) or is `*`,
    which would give up the protection against lost updates. Tags this API never issued
    (weak ones included: If-Match compares strongly) match no version."""
    if if_match is None or not if_match.strip():
        if required:
            raise PreconditionRequired(
                "Send the ETag you read in If-Match, so a change made meanwhile is not overwritten.",
                field="If-Match",
            )
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" in tags:
        raise PreconditionRequired(
            "If-Match: * would overwrite whatever is stored; send the ETag you read.", field="If-Match"
        )
    return frozenset(int(tag[1:-1]) for tag in tags if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit())
