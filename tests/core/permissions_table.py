from tests.permissions import LOGIN, Entry, everyone


def _unmasked() -> int:
    from core.models import AuditLog

    return AuditLog.objects.filter(action="pii.unmask", result="success").count()


PERMISSIONS = {
    "home": Entry(expect=everyone(200)),
    "healthz": Entry(expect=everyone(200, anonymous=200)),
    "inbox": Entry(expect=everyone(200)),
    "inbox_mark_read": Entry(method="post", expect=everyone(302)),
    # Generated files belong to their owner; the world has none, so a random id is 404 for all.
    "generated_file": Entry(
        kwargs=lambda w: {"pk": "00000000-0000-0000-0000-000000000000"},
        expect=everyone(404, anonymous=LOGIN),
    ),
    "generated_file_download": Entry(
        kwargs=lambda w: {"pk": "00000000-0000-0000-0000-000000000000"},
        expect=everyone(404, anonymous=LOGIN),
    ),
    # large personal-data exports waiting for a second approver: the organization department
    "generated_file_approvals": Entry(expect=everyone(403, admin=200)),
    # nobody waits in the world: the admin finds no such file (404), everyone else is refused
    "generated_file_approve": Entry(
        method="post",
        kwargs=lambda w: {"pk": "00000000-0000-0000-0000-000000000000"},
        expect=everyone(403, admin=404),
    ),
    # the audit administrator's pages: no role of the world is the audit administrator
    "audit_log": Entry(expect=everyone(403)),
    "audit_log_export": Entry(expect=everyone(403)),
    # Unmasking the trainee's phone (reason required, audited as pii.unmask): the organization
    # department, the organizer of the trainee's city and the trainee themself; everyone else 404.
    "pii_unmask": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.trainee.pk, "field": "phone"},
        data=lambda w: {"reason": "核对报名信息"},
        effect=lambda w: _unmasked(),
        expect=everyone(404, admin=200, organizer=200, trainee=200),
    ),
    "login": Entry(expect=everyone(302, anonymous=200)),
    "logout": Entry(method="post", expect=everyone(302, anonymous=302)),
    "accounts:profile": Entry(expect=everyone(200)),
}
