"""A program's budget versus actual costs (issue 16 item 7)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import DomainError
from programs import services
from programs.access import (
    program_closed_message,
    program_get_to_organize,
    program_is_reopened,
)
from programs.forms import (
    add_domain_error,
)
from programs.models import Program

# --- budget versus actual (issue 16 item 7) ----------------------------------------------------


@login_required
def program_costs(request, pk):
    """经费: the organizer enters the actual cost per category; the page compares it with the
    plan item's budget and the training-cost cap and warns when either is passed."""
    from programs.costs import lecturer_fees, program_budget
    from programs.forms import CostForm

    program = program_get_to_organize(user=request.user, pk=pk)
    program = (
        Program.objects.select_related("organizing_unit", "plan_item__plan__unit")
        .prefetch_related("costs", "plan_item__budget")
        .get(pk=program.pk)
    )
    closed = program.status == Program.Status.ARCHIVED and not program_is_reopened(program)
    fees = lecturer_fees(program)
    form = CostForm(request.POST or None, program=program, fees=fees)
    if request.method == "POST" and not closed and form.is_valid():
        try:
            services.program_costs_save(
                program=program, by=request.user, amounts=form.amounts(), fees=form.fees()
            )
        except DomainError as err:
            add_domain_error(form, err)
        else:
            messages.success(request, _("实际经费已保存。"))
            return redirect("programs:costs", pk=program.pk)
    budget = program_budget(program, fees=fees)
    return render(
        request,
        "programs/costs.html",
        {
            "program": program,
            "form": form,
            "budget": budget,
            "lines": [(row, form[f"cost_{row.category}"]) for row in budget.rows],
            "fee_lines": [(row, form[f"fee_{row.lecturer.pk}"]) for row in budget.fees],
            "closed_message": program_closed_message(program) if closed else "",
        },
    )
