"""Completion (结业) under the program's rules, certificates, their PDF and the public verification."""

import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from evaluation import selectors, services, tasks
from evaluation.views._common import PAGE_SIZE, _start_file
from programs.access import Access, program_get


@login_required
def completion(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    rows = selectors.completion_assess(program=prog)  # everyone: the totals need them all
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "evaluation/completion.html",
        {
            "program": prog,
            "page": page,
            "rows": page.object_list,
            "total": len(rows),
            "passed": sum(r.passed for r in rows),
            "confirmed": any(r.completion for r in rows),
            "would_revoke": selectors.certificates_to_revoke(program=prog, rows=rows),
        },
    )


@login_required
@require_POST
def completion_confirm(request, program_pk):
    prog = program_get(user=request.user, pk=program_pk, need=Access.MANAGE)
    try:
        result = services.completion_confirm(program=prog, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("evaluation:completion", program_pk=prog.pk)
    messages.success(
        request,
        _("结业结果已确认:%(p)s / %(t)s 人准予结业,新发证书 %(i)s 份。")
        % {"p": result["passed"], "t": result["trainees"], "i": result["issued"]},
    )
    if result["revoked"]:
        messages.warning(
            request,
            _("%(n)s 名学员不再符合结业条件,其证书已撤销并已通知本人。") % {"n": result["revoked"]},
        )
    if result["reinstated"]:
        messages.success(
            request,
            _("%(n)s 份此前撤销的证书已恢复有效(原编号)。") % {"n": result["reinstated"]},
        )
    return redirect("evaluation:completion", program_pk=prog.pk)


@login_required
@require_POST
def certificate_pdf(request, pk):
    cert = selectors.certificate_get(user=request.user, pk=pk)
    refusal = services.certificate_refusal(cert)
    if refusal:
        messages.error(request, refusal)
        if cert.completion.user_id == request.user.pk:
            return redirect("evaluation:index")
        return redirect("evaluation:completion", program_pk=cert.completion.program_id)
    return _start_file(
        request,
        kind="evaluation.certificate",
        title=_("结业证书 %(s)s") % {"s": cert.serial},
        params={"certificate": cert.pk},
        task=tasks.certificate_pdf_task,
        certificate_id=cert.pk,
    )


# Public certificate checks per client address: enough for an HR office checking a stack of
# certificates by hand, far too few to walk the serial space.
VERIFY_LIMIT = 30


VERIFY_WINDOW = 600  # seconds


def _verify_allowed(request) -> bool:
    """Count one lookup for the client (REMOTE_ADDR, which the proxy middleware sets to the real
    client behind a configured reverse proxy); False once over the limit in this window."""
    window = int(time.time()) // VERIFY_WINDOW
    key = f"evaluation:verify:{request.META.get('REMOTE_ADDR', '')}:{window}"
    cache.add(key, 0, VERIFY_WINDOW + 5)
    try:
        n = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, VERIFY_WINDOW + 5)
        n = 1
    return n <= VERIFY_LIMIT


def _too_many(request, typed=""):
    return render(
        request,
        "evaluation/verify.html",
        {"limited": True, "serial": typed[:60], "minutes": VERIFY_WINDOW // 60},
        status=429,
    )


def verify_form(request):
    """The public box: takes a serial or a pasted verification URL."""
    typed = request.GET.get("serial", "").strip()
    if not typed:
        return render(request, "evaluation/verify.html", {"searched": False})
    serial = selectors.serial_from_input(typed)
    if serial:
        return redirect("evaluation:verify", serial=serial)
    if not _verify_allowed(request):
        return _too_many(request, typed)
    return render(
        request,
        "evaluation/verify.html",
        {"cert": None, "serial": typed[:60], "searched": True},
        status=404,
    )


def verify(request, serial):
    """Public: what a verifier needs (masked name, program, period, status), nothing else."""
    if not _verify_allowed(request):
        return _too_many(request, serial)
    cert = selectors.certificate_by_serial(serial)
    return render(
        request,
        "evaluation/verify.html",
        {
            "cert": cert,
            "serial": serial[:60],
            "searched": True,
            "holder": selectors.masked_name(cert.holder_name) if cert else "",
            "program": cert.completion.program if cert else None,
        },
        status=200 if cert else 404,
    )
