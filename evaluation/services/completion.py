"""Completion (结业) under the program's rules, certificates, their PDF and the public verification."""

import secrets

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError, self_decision_guard
from core.services import AuditEntry, audit_log, audit_log_many, notify_many
from evaluation import selectors
from evaluation.models import (
    COMMENT_MAX,
    Certificate,
    Completion,
)
from evaluation.services._common import _ensure_open


def _serial(program, year) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    suffix = "".join(secrets.choice(alphabet) for _i in range(6))
    return f"JY{year}-{program.pk:05d}-{suffix}"


COMPLETION_FIELDS = [
    "passed",
    "reasons",
    "attendance_rate",
    "unexcused_absences",
    "score",
    "confirmed_by",
    "confirmed_at",
    "updated_at",
]


REVOCATION_FIELDS = ["revoked_at", "revoked_reason", "revoked_by", "updated_at"]


def _audit_many(*, actor, entries) -> None:
    """One INSERT for many audit entries ((action, certificate, reason) triples)."""
    audit_log_many(
        AuditEntry(
            actor=actor,
            action=action,
            target=cert,
            after={"serial": cert.serial, "user": cert.completion.user_id},
            reason=reason,
        )
        for action, cert, reason in entries
    )


def _issue_certificates(*, program, completions, issued_on) -> list[Certificate]:
    """New certificates for `completions`, one INSERT; on the (very unlikely) serial collision
    the whole batch is retried with fresh serials."""
    if not completions:
        return []
    for _attempt in range(5):
        certs = [
            Certificate(
                completion=c,
                serial=_serial(program, issued_on.year),
                holder_name=c.user.full_name,
                program_title=program.title,
                issued_on=issued_on,
            )
            for c in completions
        ]
        if len({c.serial for c in certs}) < len(certs):
            continue
        try:
            with transaction.atomic():
                return Certificate.objects.bulk_create(certs)
        except IntegrityError:
            continue
    raise DomainError(_("证书编号生成失败,请重试。"))


@transaction.atomic
def completion_confirm(*, program, by, issued_on=None) -> dict:
    """Freeze every enrolled trainee's result under the program's rules and keep certificates in
    step with it, in one transaction and a fixed number of queries whatever the class size:

    - a trainee who passes and has no certificate gets one, with a new serial;
    - a holder who no longer passes (or is no longer an enrolled trainee) has the certificate
      revoked, with the reasons, and is told so;
    - a holder whose revoked certificate passes again gets the same serial back (the printed
      copy is valid again, and the trail keeps both the revocation and the reinstatement).

    Confirmations of one program run one at a time (the program row is locked)."""
    issued_on = issued_on or timezone.localdate()
    now = timezone.now()
    _ensure_open(program.pk, lock=True)  # confirmations of one program run one at a time
    rows = selectors.completion_assess(program=program)
    for row in rows:  # nobody confirms their own completion
        self_decision_guard(subject=row.user, by=by)
    stale = selectors.completions_of_non_trainees(program=program)
    not_enrolled = [_("不在本班录取学员名单中")]

    fresh, changed = [], []
    results = []  # (completion, passed, reasons, existing certificate)
    for row in rows:
        values = {
            "passed": row.passed,
            "reasons": row.reasons,
            "attendance_rate": row.rate,
            "unexcused_absences": row.unexcused,
            "score": row.score,
            "confirmed_by": by,
            "confirmed_at": now,
        }
        if row.completion is None:
            completion = Completion(program=program, user=row.user, **values)
            fresh.append(completion)
            cert = None
        else:
            completion = row.completion
            completion.user = row.user  # already loaded; spares a query per holder below
            for k, v in values.items():
                setattr(completion, k, v)
            completion.updated_at = now
            changed.append(completion)
            cert = selectors.certificate_of(completion)
        results.append((completion, row.passed, row.reasons, cert))
    for completion in stale:
        completion.passed, completion.reasons = False, not_enrolled
        completion.confirmed_by, completion.confirmed_at = by, now
        completion.updated_at = now
        changed.append(completion)
        results.append((completion, False, not_enrolled, selectors.certificate_of(completion)))
    Completion.objects.bulk_create(fresh)
    if changed:
        Completion.objects.bulk_update(changed, COMPLETION_FIELDS)

    to_issue, revoked, reinstated = [], [], []
    for completion, passed, reasons, cert in results:
        if cert is not None:
            cert.completion = completion  # cached both ways: no query per holder below
        if passed and cert is None:
            to_issue.append(completion)
        elif passed and cert.is_revoked:
            cert.revoked_at, cert.revoked_reason, cert.revoked_by = None, "", None
            reinstated.append(cert)
        elif not passed and cert is not None and not cert.is_revoked:
            cert.revoked_at, cert.revoked_by = now, by
            cert.revoked_reason = (
                _("重新确认结业结果时不再符合结业条件:%(r)s")
                % {"r": ";".join(str(r) for r in reasons)}
            )[:COMMENT_MAX]
            revoked.append(cert)
    issued = _issue_certificates(program=program, completions=to_issue, issued_on=issued_on)
    for cert in revoked + reinstated:
        cert.updated_at = now
    if revoked or reinstated:
        Certificate.objects.bulk_update(revoked + reinstated, REVOCATION_FIELDS)
        _audit_many(
            actor=by,
            entries=[("certificate.revoke", c, c.revoked_reason) for c in revoked]
            + [("certificate.reinstate", c, "") for c in reinstated],
        )

    passed = sum(1 for _c, ok, _r, _cert in results if ok)
    audit_log(
        actor=by,
        action="completion.confirm",
        target=program,
        after={
            "trainees": len(rows),
            "passed": passed,
            "certificates_issued": len(issued),
            "certificates_revoked": [c.serial for c in revoked],
            "certificates_reinstated": [c.serial for c in reinstated],
        },
    )
    url = reverse("evaluation:index")
    if issued:  # only those whose certificate this run issued
        notify_many(
            users=[c.completion.user for c in issued],
            kind="completion",
            title=gettext_lazy("您已完成“%(p)s”的学习,结业证书已生成"),
            params={"p": program.title},
            url=url,
        )
    if revoked:
        notify_many(
            users=[c.completion.user for c in revoked],
            kind="certificate_revoked",
            title=gettext_lazy("您在“%(p)s”的结业证书已撤销"),
            params={"p": program.title},
            body=gettext_lazy(
                "结业结果经重新确认,您目前不符合结业条件,证书已撤销,"
                "查验证书编号时将显示“已撤销”。如有疑问,请联系培训班班主任。"
            ),
            url=url,
        )
    if reinstated:
        notify_many(
            users=[c.completion.user for c in reinstated],
            kind="certificate_reinstated",
            title=gettext_lazy("您在“%(p)s”的结业证书已恢复有效"),
            params={"p": program.title},
            body=gettext_lazy("结业结果经重新确认,您符合结业条件,原证书编号继续有效。"),
            url=url,
        )
    return {
        "trainees": len(rows),
        "passed": passed,
        "issued": len(issued),
        "revoked": len(revoked),
        "reinstated": len(reinstated),
    }


def certificate_verify_url(*, cert, request=None) -> str:
    """The public verification link printed on the certificate: SITE_URL when set, else the
    address the user (or the job started from their request) is using (core.links)."""
    from core.links import absolute_url

    return absolute_url(reverse("evaluation:verify", args=[cert.serial]), request)


def certificate_qr_svg(*, cert, url: str = "") -> str:
    import segno

    url = url or certificate_verify_url(cert=cert)
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def certificate_refusal(cert) -> str | None:
    """Why the certificate's PDF may not be made or downloaded (None when it may)."""
    if cert.is_revoked:
        return _("证书 %(s)s 已于 %(d)s 撤销,不能再下载。") % {
            "s": cert.serial,
            "d": timezone.localtime(cert.revoked_at).strftime("%Y-%m-%d"),
        }
    return None


def certificate_pdf(*, cert) -> bytes:
    from core.pdf import render_pdf

    refusal = certificate_refusal(cert)
    if refusal:
        raise DomainError(refusal)
    url = certificate_verify_url(cert=cert)
    program = cert.completion.program
    return render_pdf(
        "evaluation/pdf/certificate.html",
        {
            "cert": cert,
            "program": program,
            # The hours this trainee earned by the credit rule, not the program's nominal total.
            "hours": selectors.earned_hours(program=program, user=cert.completion.user),
            "qr": certificate_qr_svg(cert=cert, url=url),
            "verify_url": url,
        },
    )


def certificate_filename(cert) -> str:
    """结业证书-江沐阳-JY2026-00001-ABC123.pdf"""
    return f"{_('结业证书')}-{cert.holder_name}-{cert.serial}.pdf"
