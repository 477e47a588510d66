"""Who am I, and (admins only) the user list and new users with their first token."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.service.deps import AdminUser, Core, CurrentUser
from assistant.service.routes import AUTH_ERRORS, errors
from assistant.service.schemas import UserCreate, UserCreated, UserOut

router = APIRouter(prefix="/api/v1", tags=["users"], responses=AUTH_ERRORS)


@router.get("/me", summary="The user this token belongs to")
def me(user: CurrentUser) -> UserOut:
    return UserOut.from_row(user)


@router.get("/users", responses=errors(403), summary="All users (admin)")
def list_users(_admin: AdminUser, core: Core) -> list[UserOut]:
    return [UserOut.from_row(user) for user in core.list_users()]


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    responses=errors(403, 422),
    summary="Create a user and its first token (admin)",
)
def create_user(body: UserCreate, _admin: AdminUser, core: Core) -> UserCreated:
    """The token is in this response only; it is stored hashed and cannot be shown again."""
    user, token = core.add_user(body.name, body.role, token_label="created by an admin")
    return UserCreated(user=UserOut.from_row(user), token=token)
