"""accounts' URLs (passwords, sessions, the security administrator's pages). accounts:profile
stays in tests/core/permissions_table.py where the shell put it."""

from tests.permissions import Entry, everyone


def _grants(w):
    from accounts.models import RoleGrant

    return sorted(RoleGrant.objects.values_list("pk", flat=True))


PERMISSIONS = {
    "accounts:password_change": Entry(expect=everyone(200)),
    "accounts:password_reset": Entry(expect=everyone(200, anonymous=200)),
    "accounts:password_reset_done": Entry(expect=everyone(200, anonymous=200)),
    # a made-up link: every visitor sees the "link invalid" page
    "accounts:password_reset_confirm": Entry(
        kwargs=lambda w: {"uidb64": "MQ", "token": "abc-def"},
        expect=everyone(200, anonymous=200),
    ),
    "accounts:password_reset_complete": Entry(expect=everyone(200, anonymous=200)),
    "accounts:sessions": Entry(expect=everyone(200)),
    # nobody owns session 999999
    "accounts:session_end": Entry(
        method="post", kwargs=lambda w: {"pk": 999999}, expect=everyone(404)
    ),
    # the security administrator's pages: no business role reaches them (三员分立)
    "accounts:security_roles": Entry(expect=everyone(403)),
    "accounts:security_role_revoke": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.organizer.role_grants.get().pk},
        expect=everyone(403),
        effect=_grants,
    ),
    "accounts:security_lockouts": Entry(expect=everyone(403)),
    "accounts:security_lockout_release": Entry(
        method="post", kwargs=lambda w: {"pk": 999999}, expect=everyone(403)
    ),
}

PERMISSIONS.update(
    {
        # anyone signed in may enrol an authenticator; nobody in the world has one, so the code
        # step sends everyone to enrolment
        "accounts:otp_setup": Entry(expect=everyone(200)),
        "accounts:otp_verify": Entry(expect=everyone(302)),
    }
)

PERMISSIONS["accounts:security_otp_reset"] = Entry(
    method="post", data=lambda w: {"username": w.organizer.username}, expect=everyone(403)
)


def _active(w):
    from accounts.models import User

    return sorted(User.objects.filter(is_active=True).values_list("pk", flat=True))


def _units(w):
    from accounts.models import OrgUnit

    return sorted(OrgUnit.objects.values_list("pk", "name", "code"))


# the system administrator's pages (三员分立): no role of the world is the system administrator,
# and the business admin is refused like everyone else
PERMISSIONS.update(
    {
        "accounts:sysadmin_users": Entry(expect=everyone(403)),
        "accounts:sysadmin_user_new": Entry(expect=everyone(403)),
        "accounts:sysadmin_user_active": Entry(
            method="post",
            kwargs=lambda w: {"pk": w.trainee.pk},
            data=lambda w: {"active": "0"},
            expect=everyone(403),
            effect=_active,
        ),
        "accounts:sysadmin_units": Entry(expect=everyone(403)),
        "accounts:sysadmin_unit_new": Entry(
            method="post",
            data=lambda w: {"parent": w.city_a.pk, "name": "新", "code": "N-1", "kind": "county"},
            expect=everyone(403),
            effect=_units,
        ),
        "accounts:sysadmin_unit_edit": Entry(
            method="post",
            kwargs=lambda w: {"pk": w.city_a.pk},
            data=lambda w: {"name": "改名", "code": w.city_a.code, "kind": "city"},
            expect=everyone(403),
            effect=_units,
        ),
        "accounts:sysadmin_settings": Entry(expect=everyone(403)),
        "accounts:sysadmin_backups": Entry(expect=everyone(403)),
    }
)
