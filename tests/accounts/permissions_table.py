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
