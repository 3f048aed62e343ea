"""A person's training record (个人培训档案): PDF and Excel."""

from django.template.loader import render_to_string
from django.utils.translation import gettext

from core.pdf import html_to_pdf
from core.tabular import Column, Sheet, xlsx_bytes
from reports import selectors

RECORD_CSS = """
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
h3, h3 + p.muted { break-after: avoid; }
table { font-size: 9pt; margin-bottom: 2mm; }
table.meta th { width: 18mm; background: #f3f3f3; }
"""


def trainee_record_pdf(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    return html_to_pdf(
        render_to_string("reports/pdf/trainee_record.html", data),
        extra_css=RECORD_CSS,
        title=record_title(user),
    )


def record_title(user) -> str:
    return f"{user.full_name} {gettext('个人培训档案')}"


def trainee_record_xlsx(*, user) -> bytes:
    data = selectors.trainee_record_data(user=user)
    sessions = []
    for p in data["programs"]:
        for s in p["sessions"]:
            sessions.append(
                [
                    p["program"].title,
                    s["session"].start,
                    s["session"].topic,
                    s["status"],
                    float(s["hours"]),
                ]
            )
    years = [
        [
            y["year"],
            float(y["hours"]),
            float(y["required"]),
            gettext("达标") if y["met"] else gettext("未达标"),
        ]
        for y in data["credit_years"]
    ]
    head = [
        record_title(user),
        "    ".join(
            str(v)
            for v in (
                user.unit.name if user.unit_id else "",
                user.position,
                user.get_rank_display(),
            )
            if v
        ),
    ]
    return xlsx_bytes(
        [
            Sheet(
                gettext("参训记录"),
                [
                    Column(gettext("项目"), width=30, wrap=True),
                    Column(gettext("时间"), width=17),
                    Column(gettext("课程"), width=34, wrap=True),
                    Column(gettext("考勤"), width=10),
                    Column(gettext("学时"), width=8, number_format="0.0"),
                ],
                sessions,
                title_lines=head,
            ),
            Sheet(
                gettext("年度学时"),
                [
                    Column(gettext("年度"), width=8),
                    Column(gettext("已获学时"), width=12, number_format="0.0"),
                    Column(gettext("要求学时"), width=12, number_format="0.0"),
                    Column(gettext("是否达标"), width=12),
                ],
                years,
                title_lines=head,
            ),
        ],
        title=record_title(user),
    )
