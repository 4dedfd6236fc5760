"""The practice page: server-rendered Dutch HTML at `/` for a praktijkondersteuner mid-consultation,
with its sign-in, eligibility check, patient handout, referrals with their list, and the offline API docs.

Works without JavaScript; every asset is served from here (no CDN). The search is a GET (a link
to share); the eligibility check is a POST whose values reach no URL, cookie, log or cache.
"""

import functools
import uuid
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

from app.clients.keys import authenticate, authenticate_digest, digest
from app.clients.models import Role
from app.clients.scope import Principal
from app.db import SessionDep, reads_only
from app.errors import DomainError, Unauthorized
from app.visibility import ANONYMOUS, Viewer
from app.web import service, sessions
from app.web.map import results_map

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")
# The pages' own policy: styles and images from here, forms only to here, no script at all.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# Swagger UI and ReDoc as the fastapi-offline package ships them; their policy keeps them off
# the internet (ReDoc would fetch its logo from a CDN) while letting their own inline code run.
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)

# ReDoc draws its "powered by" logo from a CDN, whatever its options: the copy served here
# draws an empty image in its place, so that /redoc makes no request beyond this server.
REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
NO_IMAGE = b"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"

router = APIRouter(include_in_schema=False)


@functools.cache
def _redoc_script() -> bytes:
    return (DOCS_ASSETS / "redoc.standalone.js").read_bytes().replace(REDOC_LOGO, NO_IMAGE)


def _practice(request: Request, session: Session) -> Principal | None:
    """The practice signed in on this browser; None when no session, or its key no longer works."""
    found = sessions.read_session(request)
    if found is None:
        return None
    try:
        principal, _ = authenticate_digest(session, found.key_digest)
    except Unauthorized:
        return None
    return principal if principal.role == Role.practice else None


def _render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    token, new = sessions.csrf_token(request)
    html = templates.get_template(template).render(request=request, csrf_token=token, **context)
    # Pages depend on who is signed in, and after a check on the patient: never kept by a cache.
    response = HTMLResponse(
        html, status_code=status, headers={"Cache-Control": "no-store", "Content-Security-Policy": PAGE_CSP}
    )
    if new:
        sessions.keep_csrf(request, response, token)
    return response


def _page(
    request: Request, session: Session, query: service.PageQuery, form: service.PatientForm | None,
    practice: Principal | None,
) -> HTMLResponse:
    viewer = Viewer(authenticated=True) if practice else ANONYMOUS
    vocab = service.vocabulary(session)
    outcome = service.find(session, query, viewer, vocab, form)
    place = outcome.place
    context = {
        "query": query, "form": form or service.PatientForm(), "vocab": vocab, "outcome": outcome,
        "practice": practice,
        "map": results_map(place["lat"], place["lon"], outcome.cards) if place else None,
        "next_link": "/?" + urlencode(query.params(outcome.next_cursor)) if outcome.next_cursor else None,
    }
    return _render(request, "index.html", context)


@router.get("/", response_class=HTMLResponse)
def practice_page(request: Request, session: SessionDep) -> HTMLResponse:
    return _page(request, session, service.PageQuery.from_form(request.query_params), None, _practice(request, session))


def _refused(request: Request) -> HTMLResponse:
    return _render(request, "refused.html", {"practice": None}, status=403)


async def _own_form(request: Request) -> FormData | None:
    """The POSTed form when it carries this visitor's CSRF token, else None (refuse it)."""
    values = await request.form()
    sent = values.get(sessions.CSRF_FIELD)
    return values if isinstance(sent, str) and sessions.csrf_valid(request, sent) else None


@router.post("/", response_class=HTMLResponse)
@reads_only
async def check_eligibility(request: Request, session: SessionDep) -> HTMLResponse:
    """The quick eligibility check: the search's criteria and the patient's attributes in the body."""
    values = await _own_form(request)
    if values is None:
        return _refused(request)
    query = service.PageQuery.from_form(values)
    form = service.PatientForm.from_form(values)
    return await run_in_threadpool(lambda: _page(request, session, query, form, _practice(request, session)))


@router.get("/inloggen", response_class=HTMLResponse)
def sign_in_page(request: Request, session: SessionDep) -> HTMLResponse:
    return _render(request, "sign_in.html", {"practice": _practice(request, session), "error": None})


@router.post("/inloggen", response_class=HTMLResponse)
@reads_only
async def sign_in(request: Request, session: SessionDep) -> Response:
    values = await _own_form(request)
    if values is None:
        return _refused(request)
    key = str(values.get("key") or "").strip()
    error = None
    principal, expires_at = None, None
    if not key:
        error = "Vul de praktijksleutel in."
    else:
        try:
            principal, expires_at = await run_in_threadpool(authenticate, session, key)
        except DomainError:
            error = "Deze sleutel werkt niet: hij is onbekend, ingetrokken of verlopen."
        if principal is not None and principal.role != Role.practice:
            error = "Dit is geen praktijksleutel. Vraag de beheerder om een sleutel met de rol ‘practice’."
    if error:
        return _render(request, "sign_in.html", {"practice": None, "error": error}, status=422)
    response = RedirectResponse("/", status_code=303)
    sessions.open_session(request, response, digest(key), expires_at.timestamp() if expires_at else None)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/uitloggen")
@reads_only
async def sign_out(request: Request) -> Response:
    values = await _own_form(request)
    if values is None:
        return _refused(request)
    response = RedirectResponse("/", status_code=303)
    sessions.close_session(request, response)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/diensten/{service_id}/folder", response_class=HTMLResponse)
def patient_handout(request: Request, session: SessionDep, service_id: str, postcode: str | None = None) -> HTMLResponse:
    try:
        handout = service.handout(session, uuid.UUID(service_id), postcode)
    except (ValueError, DomainError):
        return _render(request, "not_found.html", {"practice": _practice(request, session)}, status=404)
    return _render(request, "handout.html", {"handout": handout, "practice": _practice(request, session)})


@router.post("/verwijs", response_class=HTMLResponse)
async def refer(request: Request, session: SessionDep) -> HTMLResponse:
    """The result card's "Verwijs": the referral made as the signed-in practice, answered with
    the service's handout showing its code. The form names the service, nothing of the patient."""
    values = await _own_form(request)
    if values is None:
        return _refused(request)

    def answer() -> HTMLResponse:
        practice = _practice(request, session)
        if practice is None:
            return _refused(request)
        try:
            referral = service.refer(session, practice, values)
        except (ValidationError, DomainError):
            return _render(request, "not_referred.html", {"practice": practice}, status=422)
        # The search's postcode, sent with the form (the referral takes none): the location nearest to it.
        postcode = values.get("postcode")
        handout = service.handout(session, referral.service_id, postcode if isinstance(postcode, str) else None)
        return _render(request, "handout.html", {"handout": handout, "practice": practice, "code": referral.code})

    return await run_in_threadpool(answer)


@router.get("/verwijzingen", response_class=HTMLResponse)
def my_referrals(request: Request, session: SessionDep, cursor: str | None = None) -> Response:
    practice = _practice(request, session)
    if practice is None:
        return RedirectResponse("/inloggen", status_code=303, headers={"Cache-Control": "no-store"})
    rows, next_cursor = service.my_referrals(session, practice, cursor)
    next_link = "/verwijzingen?" + urlencode({"cursor": next_cursor}) if next_cursor else None
    return _render(request, "referrals.html", {"practice": practice, "referrals": rows, "next_link": next_link})


def install(app: FastAPI) -> None:
    """The page, its static files, and /docs and /redoc with their assets from this server."""
    app.include_router(router)

    @app.get("/docs-assets/redoc.offline.js", include_in_schema=False)
    def redoc_script() -> Response:
        return Response(_redoc_script(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/docs-assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} – API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js", swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from the online validator
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        page = get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} – API",
            redoc_js_url="/docs-assets/redoc.offline.js", redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page
