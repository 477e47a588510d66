"""FastAPI dependencies, as ``Annotated`` aliases the routes put in their signatures.

``Core`` is the app's one ``Assistant``; ``Db`` a unit of work (committed when the
route returns, before the response goes out); ``CurrentUser`` the owner of the
bearer token, after the per-token rate limit. Every route but health needs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from assistant.core import Assistant
from assistant.service.ratelimit import RateLimiter
from assistant.storage.tables import User
from assistant.storage.users import hash_token

bearer = HTTPBearer(
    auto_error=False,
    description="An API token from `alliance tokens create NAME`, sent as "
    "`Authorization: Bearer <token>`.",
)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def get_core(request: Request) -> Assistant:
    return request.app.state.core


Core = Annotated[Assistant, Depends(get_core)]


def db_session(core: Core) -> Iterator[Session]:
    with core.database.session() as session:
        yield session


Db = Annotated[Session, Depends(db_session, scope="function")]


def current_user(
    request: Request,
    core: Core,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    """The token's user; 401 for a missing or unknown token, 429 over the rate limit."""
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers=_CHALLENGE
        )
    token = credentials.credentials
    limiter: RateLimiter = request.app.state.rate_limiter
    # Limit before the lookup, keyed by the hash: guessing tokens is throttled too.
    wait = limiter.hit(hash_token(token))
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too many requests for this token; slow down",
            headers={"Retry-After": limiter.retry_after(wait)},
        )
    user = core.authenticate(token)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "invalid or revoked token", headers=_CHALLENGE
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs the admin role")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
