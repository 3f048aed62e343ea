"""Unmasking one person's ID or phone number, with a reason, audited (issue 17 item 8).

A masked value on a page (`{% pii_value person "phone" %}`, core.templatetags.pii) carries a 显示
control for viewers who may unmask someone. It opens a small form asking for the reason (at least
4 characters); the POST checks that this viewer may see this person's full data (the apps' `pii_policy`
hooks: accounts.pii_policy), writes `pii.unmask` to the audit log (who, whose, which field, the reason;
the client address and user agent come with every entry) and answers the value. Someone out of
scope gets a 404 and the attempt is audited as refused.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.pii import MASKERS, REASON_MIN, mask, may_unmask
from core.services import audit_log


class UnmaskForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("查看原因"),
        min_length=REASON_MIN,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 16}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def pii_unmask(request, pk: int, field: str):
    if field not in MASKERS:
        raise Http404
    person = (
        get_user_model().objects.select_related("unit").filter(pk=pk).first() if pk > 0 else None
    )
    if person is None:
        raise Http404
    label = person._meta.get_field(field).verbose_name
    if not may_unmask(request.user, person):
        if request.method == "POST":
            audit_log(
                actor=request.user,
                action="pii.unmask",
                target=person,
                after={"field": field},
                reason=request.POST.get("reason", "")[:200],
                result="refused",
                request=request,
            )
        raise Http404
    context = {"person": person, "field": field, "label": label, "dom_id": f"pii-{pk}-{field}"}
    context["masked"] = mask(field, getattr(person, field))
    if request.method == "POST":
        form = UnmaskForm(request.POST)
        if form.is_valid():
            audit_log(
                actor=request.user,
                action="pii.unmask",
                target=person,
                after={"field": field, "person": person.pk},
                reason=form.cleaned_data["reason"],
                request=request,
            )
            context["value"] = getattr(person, field)
            partial = "#value"
        else:
            partial = "#form"
    else:
        form, partial = UnmaskForm(), "#form"
    context["form"] = form
    return render(request, "core/pii_unmask.html" + (partial if request.htmx else ""), context)
