"""The practice page's cookies: a practice's signed session, and the CSRF token of its forms.

A session holds the SHA-256 digest of the practice key it was opened with (never the key)
and when it ends; each request looks the digest up again, so a revoked or expired key ends
the session at once. Both cookies are HttpOnly, SameSite=Strict, Secure over https, and
signed with an HMAC of the application's secret key, so they cannot be forged or altered.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request, Response

from app.settings import get_settings

SESSION_COOKIE = "wijkkaart_sessie"
CSRF_COOKIE = "wijkkaart_csrf"
CSRF_FIELD = "csrf_token"
SESSION_SECONDS = 8 * 3600  # a working day
_clock = time.time


def _key(purpose: str) -> bytes:
    # One key per purpose: a CSRF token is never a valid session, nor the other way round.
    return hashlib.sha256(f"{purpose}:{get_settings().secret_key}".encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(purpose: str, payload: bytes) -> str:
    return f"{_b64(payload)}.{_b64(hmac.new(_key(purpose), payload, hashlib.sha256).digest())}"


def unsign(purpose: str, value: str | None) -> bytes | None:
    """The payload of a value sign() made for `purpose`; None for anything else."""
    if not value or value.count(".") != 1:
        return None
    body, mac = value.split(".")
    try:
        payload, sent = _unb64(body), _unb64(mac)
    except ValueError:
        return None
    expected = hmac.new(_key(purpose), payload, hashlib.sha256).digest()
    return payload if hmac.compare_digest(expected, sent) else None


@dataclass(frozen=True)
class PracticeSession:
    key_digest: str
    expires: float


def _set(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )


def open_session(request: Request, response: Response, key_digest: str, key_expires: float | None) -> None:
    """Sign in: the session ends after a working day, or when the key expires if that is sooner."""
    expires = _clock() + SESSION_SECONDS
    if key_expires is not None:
        expires = min(expires, key_expires)
    payload = json.dumps({"d": key_digest, "e": expires}).encode()
    _set(request, response, SESSION_COOKIE, sign("session", payload), max(1, int(expires - _clock())))
    # A new CSRF token on signing in: one planted before cannot follow the practice in.
    keep_csrf(request, response, new_csrf_token())


def close_session(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")


def read_session(request: Request) -> PracticeSession | None:
    payload = unsign("session", request.cookies.get(SESSION_COOKIE))
    if payload is None:
        return None
    try:
        data = json.loads(payload)
        found = PracticeSession(key_digest=str(data["d"]), expires=float(data["e"]))
    except (ValueError, KeyError, TypeError):
        return None
    return found if found.expires > _clock() else None


def new_csrf_token() -> str:
    return sign("csrf", secrets.token_bytes(16))


def csrf_token(request: Request) -> tuple[str, bool]:
    """The visitor's CSRF token for this page's forms, and whether it is new (keep_csrf sets it)."""
    token = request.cookies.get(CSRF_COOKIE)
    if token is not None and unsign("csrf", token) is not None:
        return token, False
    return new_csrf_token(), True


def keep_csrf(request: Request, response: Response, token: str) -> None:
    _set(request, response, CSRF_COOKIE, token, SESSION_SECONDS)


def csrf_valid(request: Request, sent: str | None) -> bool:
    """A POST is the page's own when the form's token is the visitor's cookie, signed by us
    (a site that cannot read the cookie cannot send it in a form)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not sent or not cookie:
        return False
    return hmac.compare_digest(sent, cookie) and unsign("csrf", cookie) is not None
