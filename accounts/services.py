"""Writes on tenants, members and plans. Views, the API and commands call these."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import transaction
from django.utils import timezone

from recovery_portal.errors import DemoAlreadyUsed, Invalid

from .models import Account, Membership, Plan, PlanChange, Role, validate_timezone
from .tenancy import require_admin_of

User = get_user_model()


def _field_errors(model, name: str, value) -> list[str]:
    """The model field's own rules (length, characters) and no NUL, as messages."""
    try:
        ProhibitNullCharactersValidator()(value)
        model._meta.get_field(name).run_validators(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _validate_new_user(username: str, password: str, email: str = "") -> None:
    errors = {}
    if not username or not username.strip():
        errors["username"] = ["A username is required."]
    elif bad := _field_errors(User, User.USERNAME_FIELD, username):
        errors["username"] = bad
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"The username “{username}” is taken."]
    if email and (bad := _field_errors(User, "email", email)):
        errors["email"] = bad
    try:
        password_validation.validate_password(password, User(username=username))
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)


@transaction.atomic
def account_create(
    *, name: str, plan: str, timezone_name: str, admin_username: str, admin_password: str
) -> Account:
    """A new tenant with its first administrator."""
    errors = {}
    if not name or not name.strip():
        errors["name"] = ["A name is required."]
    elif bad := _field_errors(Account, "name", name.strip()):
        errors["name"] = bad
    elif Account.objects.filter(name__iexact=name.strip()).exists():
        errors["name"] = [f"An account named “{name}” exists already."]
    if plan not in Plan.values:
        errors["plan"] = [f"Unknown plan “{plan}”; choose one of {', '.join(Plan.values)}."]
    try:
        validate_timezone(timezone_name)
    except ValidationError as exc:
        errors["timezone"] = list(exc.messages)
    if errors:
        raise Invalid(next(iter(errors.values()))[0], fields=errors)
    account = Account.objects.create(name=name.strip(), plan=plan, timezone=timezone_name)
    user_create(username=admin_username, password=admin_password, account=account, role=Role.ADMIN)
    return account


@transaction.atomic
def user_create(*, username: str, password: str, account: Account, role: str, email: str = ""):
    """A member of `account` with `role` (admin or employee)."""
    if role not in Role.values:
        raise Invalid(
            f"Unknown role “{role}”; choose admin or employee.",
            fields={"role": ["Choose admin or employee."]},
        )
    _validate_new_user(username, password, email)
    user = User.objects.create_user(username=username, password=password, email=email)
    Membership.objects.create(user=user, account=account, role=role)
    return user


def helpdesk_group_sync() -> Group:
    """The helpdesk group with exactly the view permissions of
    settings.HELPDESK_VIEW_PERMISSIONS: in the admin, helpdesk staff may look at
    accounts, snapshots and requests, never change CRM data (domain.md)."""
    group, _ = Group.objects.get_or_create(name=settings.HELPDESK_GROUP)
    wanted = []
    for dotted in settings.HELPDESK_VIEW_PERMISSIONS:
        app_label, codename = dotted.split(".", 1)
        perm = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if perm is not None:
            wanted.append(perm)
    group.permissions.set(wanted)
    return group


@transaction.atomic
def helpdesk_user_create(*, username: str, password: str, email: str = ""):
    """A member of the vendor's helpdesk: in the helpdesk group, in no account.
    Staff status lets them into the admin, where the group allows viewing only."""
    _validate_new_user(username, password, email)
    user = User.objects.create_user(
        username=username, password=password, email=email, is_staff=True
    )
    user.groups.add(helpdesk_group_sync())
    return user


@transaction.atomic
def plan_change(*, account: Account, plan: str, actor) -> Account:
    """Subscription > Upgrade: no payment here, the plan changes and it is recorded.
    Only the account's administrators (or the system, `actor=None`) change it."""
    if actor is not None:
        require_admin_of(account, actor)
    if plan not in Plan.values:
        raise Invalid(
            f"Unknown plan “{plan}”.",
            fields={"plan": [f"Choose one of {', '.join(Plan.values)}."]},
        )
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.plan != plan:
        PlanChange.objects.create(
            account=account,
            kind=PlanChange.Kind.UPGRADE,
            from_plan=account.plan,
            to_plan=plan,
            changed_by=actor,
            changed_by_name=actor.get_username() if actor else "system",
        )
        account.plan = plan
        account.save(update_fields=["plan"])
    return account


@transaction.atomic
def demo_start(*, account: Account, actor) -> Account:
    """R3: start the account's one 15-day Professional demo; it ends by itself.
    Only the account's administrators (or the system, `actor=None`) start it."""
    if actor is not None:
        require_admin_of(account, actor)
    account = Account.objects.select_for_update().get(pk=account.pk)
    if account.demo_started_at is not None:
        raise DemoAlreadyUsed()
    account.demo_started_at = timezone.now()
    account.save(update_fields=["demo_started_at"])
    PlanChange.objects.create(
        account=account,
        kind=PlanChange.Kind.DEMO,
        from_plan=account.plan,
        to_plan=Plan.PROFESSIONAL,
        changed_by=actor,
        changed_by_name=actor.get_username() if actor else "system",
    )
    return account
