"""The statistics page as a workbook (培训统计)."""

from django.utils.translation import gettext

from core.tabular import Column, Sheet, xlsx_bytes
from reports.rendering.common import _label


def statistics_title(filters) -> str:
    return f"{gettext('培训统计')} {filters.year}"


def statistics_xlsx(*, stats: dict) -> bytes:
    """The statistics page as a workbook: filters written as their labels (as on screen)."""
    from accounts.models import Rank
    from programs.models import Program

    f = stats["filters"]
    everything = gettext("全部")
    level = dict(Program.Level.choices).get(f.level, f.level) if f.level else everything
    rank = dict(Rank.choices).get(f.rank, f.rank) if f.rank else everything
    overview = [
        [gettext("年度"), f.year],
        [gettext("单位"), f.unit.name if f.unit else everything],
        [gettext("级别"), str(level)],
        [gettext("职级"), str(rank)],
        [gettext("举办班次"), stats["programs"]],
        [gettext("培训人数"), stats["trainees"]],
        [gettext("培训人次"), stats["trainee_times"]],
        [gettext("出勤率(%)"), stats["attendance_rate"]],
        [gettext("结业率(%)"), stats["completion_rate"]],
        [gettext("满意度(%)"), stats["satisfaction_rate"]],
        [gettext("学时达标率(%)"), stats["compliance_rate"]],
        [gettext("请假人次"), stats["leave"]],
        [gettext("旷课人次"), stats["absent"]],
    ]
    title = statistics_title(f)
    scope = "    ".join(_label(k, v) for k, v in overview[1:4])
    head = [title, scope]

    def cols(*specs):
        return [Column(gettext(h), width=w, wrap=w >= 20) for h, w in specs]

    return xlsx_bytes(
        [
            Sheet(gettext("概览"), cols(("指标", 18), ("数值", 24)), overview, title_lines=head),
            Sheet(
                gettext("按级别"),
                cols(("级别", 14), ("班次", 10), ("人次", 10), ("出勤率(%)", 12)),
                [
                    [str(r["label"]), r["programs"], r["trainee_times"], r["attendance_rate"]]
                    for r in stats["levels"]
                ],
                title_lines=head,
            ),
            Sheet(
                gettext("按职级"),
                cols(
                    ("职级", 14),
                    ("人次", 10),
                    ("出勤率(%)", 12),
                    ("结业率(%)", 12),
                    ("人数", 10),
                    ("学时达标率(%)", 14),
                    ("年度要求学时", 14),
                ),
                [
                    [
                        str(r["label"]),
                        r["trainee_times"],
                        r["attendance_rate"],
                        r["completion_rate"],
                        r["trainees"],
                        r["compliance_rate"],
                        float(r["required"] or 0),
                    ]
                    for r in stats["ranks"]
                ],
                title_lines=head,
            ),
            Sheet(
                gettext("按单位"),
                cols(
                    ("单位", 26),
                    ("人次", 10),
                    ("出勤率(%)", 12),
                    ("结业率(%)", 12),
                    ("人数", 10),
                    ("学时达标率(%)", 14),
                ),
                [
                    [
                        r["unit"].name,
                        r["trainee_times"],
                        r["attendance_rate"],
                        r["completion_rate"],
                        r["trainees"],
                        r["compliance_rate"],
                    ]
                    for r in stats["units"]
                ],
                title_lines=head,
            ),
            Sheet(
                gettext("按月份"),
                cols(("月份", 10), ("人次", 10)),
                [[m["month"], m["trainee_times"]] for m in stats["months"]],
                title_lines=head,
            ),
        ],
        title=title,
    )
