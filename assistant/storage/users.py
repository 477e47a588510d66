"""Users, roles, API tokens and cohorts."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.errors import NotFoundError, ValidationError
from assistant.storage.tables import ApiToken, Cohort, CohortMember, User

ROLES = ("clinician", "trainer", "researcher", "admin")
TOKEN_PREFIX = "aa_"


def hash_token(token: str) -> str:
    # Tokens are 256 random bits, so a fast hash is enough; only the hash is stored.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(session: Session, name: str, role: str) -> User:
    name = name.strip()
    if not name:
        raise ValidationError("a user needs a non-empty name")
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if session.scalar(select(User).where(User.name == name)) is not None:
        raise ValidationError(f"a user named {name!r} already exists")
    user = User(name=name, role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:
        raise ValidationError(f"a user named {name!r} already exists") from error
    return user


def get_user(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFoundError(f"no user named {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def create_token(session: Session, user: User, label: str = "") -> str:
    """Create a token for ``user`` and return it; it cannot be shown again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:10], label=label)
    )
    session.flush()
    return token


def user_for_token(session: Session, token: str | None) -> User | None:
    """The user a valid, unrevoked token belongs to; None for anything else."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked.is_(False)
        )
    )
    return row.user if row is not None else None


def revoke_tokens(session: Session, user: User) -> int:
    tokens = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))
    for token in tokens:
        token.revoked = True
    return len(tokens)


def create_cohort(session: Session, trainer: User, name: str) -> Cohort:
    if trainer.role not in ("trainer", "admin"):
        raise ValidationError("only trainers can create cohorts")
    cohort = Cohort(trainer_id=trainer.id, name=name.strip() or "cohort")
    session.add(cohort)
    session.flush()
    return cohort


def get_cohort(session: Session, trainer: User, cohort_id: int) -> Cohort:
    cohort = session.get(Cohort, cohort_id)
    if cohort is None or cohort.trainer_id != trainer.id:
        raise NotFoundError(f"no cohort {cohort_id}")
    return cohort


def add_member(session: Session, trainer: User, cohort_id: int, member: User) -> None:
    cohort = get_cohort(session, trainer, cohort_id)
    exists = session.scalar(
        select(CohortMember).where(
            CohortMember.cohort_id == cohort.id, CohortMember.user_id == member.id
        )
    )
    if exists is None:
        session.add(CohortMember(cohort_id=cohort.id, user_id=member.id))
        session.flush()


def cohort_member_ids(session: Session, trainer: User, cohort_id: int) -> list[int]:
    cohort = get_cohort(session, trainer, cohort_id)
    return list(
        session.scalars(select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id))
    )


def trains(session: Session, trainer: User, trainee_id: int) -> bool:
    """True when ``trainee_id`` is in one of ``trainer``'s cohorts."""
    row = session.scalar(
        select(CohortMember.id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(Cohort.trainer_id == trainer.id, CohortMember.user_id == trainee_id)
    )
    return row is not None
