"""Users, teams, tokens and the visibility rule (reps: own, managers: team, admins: all)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, func, true
from sqlmodel import Session, select

from app.accounts.security import hash_password, new_api_token, token_digest, verify_password
from app.errors import Conflict, InvalidInput, NotFound
from app.models import ApiToken, Mou, Role, Team, User, UserAddress, utcnow


def normalise_email(email: str) -> str:
    """Addresses compare case-insensitively."""
    return email.strip().lower()


def get_team_by_name(session: Session, name: str) -> Team | None:
    """The team with this name."""
    return session.exec(select(Team).where(Team.name == name)).first()


def create_team(session: Session, name: str, template: str = "structured") -> Team:
    """A new team; names are unique."""
    name = name.strip()
    if not name:
        raise InvalidInput("A team needs a name.")
    if get_team_by_name(session, name):
        raise Conflict(f"A team named {name!r} already exists.")
    team = Team(name=name, template=template)
    session.add(team)
    session.flush()
    return team


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str = Role.rep,
    team: Team | None = None,
    password: str | None = None,
) -> User:
    """A new user; the email is unique across users and extra addresses."""
    email = normalise_email(email)
    if role not in set(Role):
        raise InvalidInput(f"Unknown role {role!r}: use rep, manager or admin.")
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address.")
    if find_user_by_address(session, email):
        raise Conflict(f"A user with the address {email} already exists.")
    user = User(
        email=email,
        name=name.strip() or email,
        role=role,
        team_id=team.id if team else None,
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    return user


def add_address(session: Session, user: User, email: str) -> UserAddress:
    """Register another address the user sends mail from."""
    email = normalise_email(email)
    if find_user_by_address(session, email):
        raise Conflict(f"The address {email} already belongs to a user.")
    address = UserAddress(user_id=user.id, email=email)
    session.add(address)
    session.flush()
    return address


def remove_address(session: Session, user: User, address_id: int) -> None:
    """Forget one of the user's extra sender addresses; memos already received from it stay."""
    address = session.exec(
        select(UserAddress).where(UserAddress.id == address_id, UserAddress.user_id == user.id)
    ).first()
    if address is None:
        raise NotFound("No such address for this user.")
    session.delete(address)
    session.flush()


def find_user_by_address(session: Session, email: str) -> User | None:
    """The active user who owns this address (primary or extra), case-insensitively."""
    email = normalise_email(email)
    user = session.exec(select(User).where(func.lower(User.email) == email)).first()
    if user is None:
        user = session.exec(
            select(User).join(UserAddress, UserAddress.user_id == User.id).where(UserAddress.email == email)
        ).first()
    return user if user is not None and user.is_active else None


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user for these credentials, or None."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    ok = verify_password(user.password_hash if user else None, password)
    return user if ok and user is not None and user.is_active else None


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password and end the user's other sessions."""
    if len(password) < 10:
        raise InvalidInput("Choose a password of at least 10 characters.")
    user.password_hash = hash_password(password)
    user.session_version += 1
    session.add(user)
    session.flush()


def issue_token(session: Session, user: User, name: str = "default") -> tuple[ApiToken, str]:
    """A new API token; the plain token is returned once and never stored."""
    token = new_api_token()
    row = ApiToken(
        user_id=user.id, name=name.strip() or "default", prefix=token[:8], token_hash=token_digest(token)
    )
    session.add(row)
    session.flush()
    return row, token


def user_for_token(session: Session, token: str) -> User | None:
    """The active user owning a non-revoked token."""
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_digest(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.is_active else None


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(session.exec(stmt))


def revoke_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such token.")
    row.revoked_at = utcnow()
    session.add(row)
    session.flush()


def mou_visibility(user: User) -> ColumnElement[bool]:
    """SQL condition for the MOUs this user may see: reps their own, managers their team's, admins all."""
    if user.role == Role.admin:
        return true()
    if user.role == Role.manager:
        return Mou.team_id == user.team_id if user.team_id is not None else false()
    return Mou.rep_id == user.id


def team_managers(session: Session, team_id: int | None) -> list[User]:
    """Active managers of a team (they receive the Bcc copy)."""
    if team_id is None:
        return []
    stmt = select(User).where(User.team_id == team_id, User.role == Role.manager, User.is_active == true())
    return list(session.exec(stmt))


def change_role_and_team(session: Session, actor: User, user: User, role: str, team: Team | None) -> User:
    """Set a user's role and team (an admin cannot remove their own admin role)."""
    if role not in set(Role):
        raise InvalidInput(f"Unknown role {role!r}: use rep, manager or admin.")
    if user.id == actor.id and role != Role.admin:
        raise Conflict("You cannot remove your own admin role; ask another admin.")
    user.role = role
    user.team_id = team.id if team else None
    session.add(user)
    session.flush()
    return user


def set_active(session: Session, actor: User, user: User, active: bool) -> User:
    """Deactivate (sign-in, sessions and tokens stop working) or reactivate a user."""
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate yourself; ask another admin.")
    if user.is_active != active:
        user.is_active = active
        user.session_version += 1  # open sessions end; tokens stop via the is_active check
        session.add(user)
        session.flush()
    return user


def addresses_of(session: Session, user: User) -> list[UserAddress]:
    """The user's extra sender addresses."""
    stmt = select(UserAddress).where(UserAddress.user_id == user.id).order_by(UserAddress.email)
    return list(session.exec(stmt))
