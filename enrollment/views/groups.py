"""Discussion groups (研讨分组): generate, edit, move members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrollment import forms, selectors, services
from enrollment.models import DiscussionGroup, Enrollment
from enrollment.views.base import _page, _paginate, _run, manager_page

# ---- groups ----------------------------------------------------------------------------------


@manager_page
def groups(request, program):
    context = _board(request, program, request.GET.get("g"))
    return _page(
        request,
        "enrollment/groups.html",
        program,
        "groups",
        generate_form=forms.GroupGenerateForm(initial={"count": len(context["groups"]) or 6}),
        **context,
    )


# Members listed at once for the group shown (a group of a large class, or the ungrouped).
MEMBERS_PER_PAGE = 100


def _board(request, program, shown) -> dict:
    board = selectors.group_board(program, shown=shown)
    page = _paginate(request, board.members, "p", MEMBERS_PER_PAGE)
    shown_key = board.shown.pk if board.shown else selectors.UNGROUPED
    return {
        "groups": board.groups,
        "ungrouped_count": board.ungrouped,
        "shown": board.shown,
        "shown_key": shown_key,
        "members": page,
    }


@manager_page
@require_POST
def groups_generate(request, program):
    form = forms.GroupGenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写 1–50 之间的分组数。"))
    else:
        _run(
            request,
            lambda: services.groups_generate(
                program=program,
                count=form.cleaned_data["count"],
                by=request.user,
                rooms=form.room_list(),
            ),
            _("已按单位和职级均衡分组。"),
        )
    return redirect("enrollment:groups", program.pk)


@login_required
@require_POST
def group_edit(request, pk):
    group = selectors.group_get(user=request.user, pk=pk)
    form = forms.GroupEditForm(request.POST, group=group)
    if not form.is_valid():
        messages.error(request, _("小组信息有误:%(e)s") % {"e": form.errors.as_text()})
    else:
        _run(
            request,
            lambda: services.group_update(group=group, by=request.user, **form.cleaned_data),
            _("小组已更新。"),
        )
    return redirect("enrollment:groups", group.program_id)


@manager_page
@require_POST
def group_move(request, program):
    form = forms.GroupMoveForm(request.POST)
    ok = form.is_valid()
    if ok:
        e = Enrollment.objects.filter(program=program, pk=form.cleaned_data["enrollment"]).first()
        gid = form.cleaned_data["group"]
        group = DiscussionGroup.objects.filter(program=program, pk=gid).first() if gid else None
        ok = e is not None and (group is not None or not gid)
    if not ok:
        messages.error(request, _("请选择学员和小组。"))
    else:
        _run(
            request,
            lambda: services.group_move(enrollment=e, group=group, by=request.user),
            _("已调整分组。"),
        )
    shown = request.POST.get("shown", "")
    if request.htmx:
        return render(
            request,
            "enrollment/groups.html#board",
            {"program": program, **_board(request, program, shown)},
        )
    return redirect(f"{reverse('enrollment:groups', args=[program.pk])}?g={shown}")
