"""Every credits URL for every role (walked by tests/test_url_permissions.py)."""

from django.core.files.base import ContentFile

from credits.models import CreditEntry, OnlineImport
from tests.credits.factories import entry_for
from tests.permissions import Entry, everyone

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pending(w):
    entry = CreditEntry.objects.filter(user=w.trainee, title="待审外部培训").first()
    return entry or entry_for(w.trainee, status="unit_pending", title="待审外部培训")


def _with_evidence(w):
    entry = _pending(w)
    if not entry.evidence:
        entry.evidence.save("evidence.pdf", ContentFile(PDF), save=True)
    return entry


def _status(w):
    return list(CreditEntry.objects.order_by("pk").values_list("status", flat=True))


def _batch(w):
    row = {
        "row": 2,
        "name": w.trainee.full_name,
        "id_number": "",
        "phone": w.trainee.phone,
        "course": "网络课程",
        "hours": "2.0",
        "date": "2026-03-01",
        "problem": "",
        "user_id": w.trainee.pk,
        "unmatched": "",
        "known": "",
    }
    return OnlineImport.objects.create(created_by=w.admin, filename="export.xlsx", rows=[row])


def _approved(w):
    entry = CreditEntry.objects.filter(user=w.trainee, title="已认定外部培训").first()
    return entry or entry_for(w.trainee, title="已认定外部培训")


def _approved_state(w):
    return list(CreditEntry.objects.filter(title="已认定外部培训").values_list("status", "hours"))


def _files(w):
    from core.models import GeneratedFile

    return GeneratedFile.objects.count()


def _appointed(w):
    from credits.models import CadreProfile

    return list(CadreProfile.objects.values_list("user_id", "rank_appointed_on"))


def _imported(w):
    return CreditEntry.objects.filter(title="网络课程").count()


def _scope(ok, **more):
    """The trainee of 青湖区: themselves, 青湖区's liaison, 云江市's organizer and the admin."""
    return everyone(404, **{"trainee": ok, "liaison": ok, "organizer": ok, "admin": ok, **more})


PERMISSIONS = {
    "credits:mine": Entry(expect=everyone(200)),
    "credits:entry_create": Entry(expect=everyone(200)),
    "credits:record": Entry(kwargs=lambda w: {"pk": w.trainee.pk}, expect=_scope(200)),
    "credits:promotion": Entry(
        kwargs=lambda w: {"pk": w.trainee.pk}, expect=_scope(403, organizer=200, admin=200)
    ),
    "credits:entry": Entry(kwargs=lambda w: {"pk": _pending(w).pk}, expect=_scope(200)),
    "credits:evidence": Entry(kwargs=lambda w: {"pk": _with_evidence(w).pk}, expect=_scope(200)),
    "credits:decide": Entry(
        method="post",
        kwargs=lambda w: {"pk": _pending(w).pk},
        data=lambda w: {"decision": "approve"},
        expect=_scope(302, trainee=403),
        effect=_status,
    ),
    "credits:review": Entry(
        expect=everyone(403, liaison=200, organizer=200, outsider=200, admin=200)
    ),
    "credits:compliance": Entry(
        expect=everyone(403, liaison=200, organizer=200, outsider=200, admin=200)
    ),
    "credits:pick_units": Entry(
        expect=everyone(403, liaison=200, organizer=200, outsider=200, admin=200)
    ),
    "credits:profile": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.trainee.pk},
        data=lambda w: {"rank_appointed_on": "2024-07-01"},
        expect=_scope(403, admin=302),
        effect=_appointed,
    ),
    "credits:mine_pdf": Entry(
        method="post", data=lambda w: {"year": "2026"}, expect=everyone(302), effect=_files
    ),
    "credits:mine_xlsx": Entry(
        method="post", data=lambda w: {"year": "2026"}, expect=everyone(302), effect=_files
    ),
    "credits:record_pdf": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.trainee.pk},
        data=lambda w: {"year": "2026"},
        expect=_scope(302),
        effect=_files,
    ),
    "credits:record_xlsx": Entry(
        method="post",
        kwargs=lambda w: {"pk": w.trainee.pk},
        data=lambda w: {"year": "2026"},
        expect=_scope(302),
        effect=_files,
    ),
    "credits:entry_edit": Entry(
        kwargs=lambda w: {"pk": _approved(w).pk}, expect=_scope(403, admin=200)
    ),
    "credits:entry_revoke": Entry(
        method="post",
        kwargs=lambda w: {"pk": _approved(w).pk},
        data=lambda w: {"reason": "证书系伪造"},
        expect=_scope(403, admin=302),
        effect=_approved_state,
    ),
    "credits:import": Entry(expect=everyone(403, admin=200)),
    "credits:import_preview": Entry(
        kwargs=lambda w: {"pk": _batch(w).pk}, expect=everyone(403, admin=200)
    ),
    "credits:import_confirm": Entry(
        method="post",
        kwargs=lambda w: {"pk": _batch(w).pk},
        expect=everyone(403, admin=302),
        effect=_imported,
    ),
}
