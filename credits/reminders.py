"""Year-end reminders of the training record (for core.reminders): from 1 November, every cadre
whose record for the year is behind (the compliance rollup says not met) is told, and each unit
liaison is told how many of their unit's cadres are behind. Once in November and once more in
December: the engine sends each (kind, occasion, person) once."""

from collections import Counter

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.models import Role, RoleGrant
from core.reminders import Reminder
from credits.models import CreditYearRollup

CADRE_BEHIND = "credits_year_end"
LIAISON_BEHIND = "credits_year_end_unit"
FIRST_MONTH = 11  # reminders start on 1 November


def year_end_reminders(now) -> list[Reminder]:
    today = timezone.localdate(now)
    if today.month < FIRST_MONTH:
        return []
    year, occasion = today.year, f"credits:{today.year}-{today.month}"
    behind = list(
        CreditYearRollup.objects.filter(year=year, met=False, has_requirement=True).values_list(
            "user_id", "unit_id"
        )
    )
    if not behind:
        return []
    out = [
        Reminder(
            kind=CADRE_BEHIND,
            occasion=occasion,
            user_ids=sorted(u for u, _unit in behind),
            title=gettext_lazy("您 %(year)s 年度的培训学时尚未达到要求,请在年底前完成"),
            body=gettext_lazy("打开培训档案查看还差多少学时,以及每条记录的审核情况。"),
            params={"year": year},
            url=reverse("credits:mine"),
        )
    ]
    per_unit = Counter(unit for _u, unit in behind if unit)
    grants = RoleGrant.objects.filter(role=Role.LIAISON, unit_id__in=list(per_unit)).values_list(
        "user_id", "unit_id", "unit__name"
    )
    compliance = reverse("credits:compliance")
    for user_id, unit_id, unit_name in grants:
        out.append(
            Reminder(
                kind=LIAISON_BEHIND,
                occasion=f"{occasion}:unit:{unit_id}",
                user_ids=[user_id],
                title=gettext_lazy("%(unit)s 有 %(n)s 名干部 %(year)s 年度培训学时尚未达标"),
                body=gettext_lazy("请提醒他们在年底前完成,并及时登记已参加的培训。"),
                params={"unit": unit_name, "n": per_unit[unit_id], "year": year},
                url=f"{compliance}?year={year}",
            )
        )
    return out


def reminder_sources():
    return [year_end_reminders]
