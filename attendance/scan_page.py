"""The page a phone shows after a scan, written out in Python.

This page is the check-in hot path: at the start of a lecture hundreds of phones open it within a
minute, on the same two cores as the database. Rendered by the template engine (an extends, five
blocks, a dozen {% if %}s and {% translate %}s) it cost about as much CPU as everything else the
scan does; as string formatting it costs a few hundredths of that. It has no forms, no nav, no
messages and no scripts, so it needs nothing from the context processors, and every value put into
it is escaped here. Strings are the same msgids the template had, so translations carry over.

The outcome is also written as `data-outcome` on the result card, for tests and for anyone
scripting against the page.
"""

from functools import lru_cache

from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.translation import get_language, gettext, ngettext

from attendance import tokens


def _time(value, fmt: str) -> str:
    return dateformat.format(timezone.localtime(value), fmt)


def _clock(value, seconds: bool = False) -> str:
    """H:i or H:i:s in local time (what the date filter would give, at a tenth of the cost)."""
    value = timezone.localtime(value)
    if seconds:
        return f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    return f"{value.hour:02d}:{value.minute:02d}"


@lru_cache(maxsize=256)
def _when(start, end, fmt: str, tz) -> str:
    """When a session runs, e.g. "11月21日 14:30–17:00": the same for every scan of a session,
    so it is formatted once per session, date format (language) and time zone."""
    return _time(start, fmt) + "–" + _clock(end)


def _heading(result) -> str:
    o, out = result.outcome, result.purpose == tokens.CHECKOUT
    if o == "on_time":
        return gettext("签到成功")
    if o == "late":
        n = result.minutes_late
        return ngettext("签到成功,迟到 %(n)s 分钟", "签到成功,迟到 %(n)s 分钟", n) % {"n": n}
    if o == "already_in":
        return gettext("您已签到")
    if o == "checked_out":
        return gettext("签退成功")
    if o == "already_out":
        return gettext("您已签退")
    if o == "not_checked_in":
        return gettext("您尚未签到,不能签退")
    if o == "not_enrolled":
        return gettext("您不在本班学员名单中")
    if o == "not_open":
        return gettext("签退尚未开始") if out else gettext("签到尚未开始")
    if o == "closed":
        return gettext("签退已截止") if out else gettext("签到已截止")
    if o == "expired":
        return gettext("二维码已过期")
    if o == "cancelled":
        return gettext("本次课程已取消")
    if o == "marked_absent":
        return gettext("班主任已将您本节课记为旷课")
    return gettext("二维码无效")


def _advice(result) -> str:
    o = result.outcome
    if o == "not_checked_in":
        return escape(gettext("请先签到;如确已到课,请联系班主任手工补记。"))
    if o in ("not_enrolled", "marked_absent"):
        return escape(gettext("如有疑问,请联系班主任。"))
    if o == "not_open":
        text = gettext("将于 %(t)s 开放,请届时扫描屏幕上的二维码。") % {
            "t": _clock(result.opens_at)
        }
        return escape(text)
    if o == "closed":
        return escape(gettext("如因故未能扫码,请联系班主任说明情况。"))
    if o == "expired":
        return escape(gettext("二维码每隔几秒更换一次,请重新扫描屏幕上的二维码。"))
    if o == "forged":
        return escape(gettext("请扫描教室屏幕上的二维码。"))
    if result.flagged:
        warning = gettext("本设备短时间内为多名学员签到,已提示班主任核实。")
        return f'<span class="warn">{escape(warning)}</span>'
    return ""


@lru_cache(maxsize=8)
def _labels(language: str) -> dict[str, str]:
    """The page's fixed words in one language, translated and escaped once per process."""
    words = {
        "topic": gettext("课程"),
        "program": gettext("班次"),
        "when": gettext("上课时间"),
        "in_at": gettext("签到时间"),
        "out_at": gettext("签退时间"),
        "late": gettext("迟到"),
        "record": gettext("查看考勤记录"),
        "mine": gettext("我的考勤"),
        "brand": gettext("讲台"),
        "in": gettext("签到"),
        "out": gettext("签退"),
        "doing_in": gettext("正在签到…"),
        "doing_out": gettext("正在签退…"),
        "confirm_in": gettext("确认签到"),
        "confirm_out": gettext("确认签退"),
        "hint": gettext("如页面没有自动完成,请点击下面的按钮。"),
    }
    return {key: escape(text) for key, text in words.items()} | {
        "date_format": gettext("n月j日 H:i")
    }


def _facts(result, labels) -> str:
    session, o, out = result.session, result.outcome, result.purpose == tokens.CHECKOUT
    when = _when(session.start, session.end, labels["date_format"], timezone.get_current_timezone())
    html = (
        f"<dt>{labels['topic']}</dt><dd>{escape(session.topic)}</dd>"
        f"<dt>{labels['program']}</dt><dd>{escape(session.program.title)}</dd>"
        f"<dt>{labels['when']}</dt><dd>{escape(when)}</dd>"
    )
    if result.at and o not in ("not_open", "closed"):
        label = labels["out_at"] if out else labels["in_at"]
        html += f"<dt>{label}</dt><dd>{_clock(result.at, seconds=True)}</dd>"
    if o == "already_in" and result.minutes_late and result.status != "present":
        late = gettext("%(n)s 分钟") % {"n": result.minutes_late}
        html += f"<dt>{labels['late']}</dt><dd>{escape(late)}</dd>"
    return html


def _tone(outcome: str) -> str:
    if outcome == "late":
        return "warn"
    if outcome in ("on_time", "checked_out"):
        return "ok"
    if outcome in ("already_in", "already_out"):
        return "info"
    return "err"


def _page(*, language, title, urls, body, script="") -> str:
    index = escape(urls["index"])
    return f"""<!doctype html>
<html lang="{escape(language)}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="{escape(urls["favicon"])}" type="image/svg+xml">
  <link rel="stylesheet" href="{escape(urls["lectern_css"])}">
  <link rel="stylesheet" href="{escape(urls["attendance_css"])}">{script}
</head>
<body>
  <header class="topbar"><a class="brand" href="{index}">{_labels(language)["brand"]}</a></header>
  <main class="container">
{body}
  </main>
</body>
</html>
"""


def render_confirm(*, purpose: str, urls: dict[str, str], csrf_token: str, seen: str = "") -> str:
    """What a GET of a scan link shows: a form that POSTs the scan to the same address (the
    state change needs a same-site POST with the CSRF token, so a cross-site link checks nobody
    in). static/js/attendance.js submits it at once, so the phone still needs a single tap on
    the QR; without JavaScript the trainee taps the button."""
    language = get_language() or "zh-hans"
    labels = _labels(language)
    out = purpose == tokens.CHECKOUT
    seen_input = f'<input type="hidden" name="seen" value="{escape(seen)}">' if seen else ""
    button = labels["confirm_out"] if out else labels["confirm_in"]
    body = f"""<section class="card narrow scan-result scan-info" data-outcome="confirm">
  <div class="scan-icon" aria-hidden="true">…</div>
  <h1>{labels["doing_out"] if out else labels["doing_in"]}</h1>
  <form method="post" data-autosubmit>
    <input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">{seen_input}
    <div class="actions"><button type="submit" class="primary">{button}</button></div>
  </form>
  <p class="muted small">{labels["hint"]}</p>
</section>"""
    script = f'\n  <script src="{escape(urls["attendance_js"])}" defer></script>'
    title = labels["out"] if out else labels["in"]
    return _page(language=language, title=title, urls=urls, body=body, script=script)


def render(result, *, urls: dict[str, str], record_url: str) -> str:
    """The whole HTML page for a ScanResult. `urls` holds the precomputed static and page URLs
    (attendance.views.scanning._page_urls); `record_url` links to the trainee's record, or is empty."""
    language = get_language() or "zh-hans"
    labels = _labels(language)
    tone = _tone(result.outcome)
    title = labels["out"] if result.purpose == tokens.CHECKOUT else labels["in"]
    icon = "!" if tone == "err" else "✓"
    facts = f'<dl class="facts">{_facts(result, labels)}</dl>' if result.session else ""
    record_link = (
        f'<a class="button" href="{escape(record_url)}">{labels["record"]}</a>'
        if record_url
        else ""
    )
    index = escape(urls["index"])
    outcome = escape(result.outcome)
    body = f"""<section class="card narrow scan-result scan-{tone}" data-outcome="{outcome}">
  <div class="scan-icon" aria-hidden="true">{icon}</div>
  <h1>{escape(_heading(result))}</h1>
  {facts}
  <p class="muted">{_advice(result)}</p>
  <div class="actions">
    {record_link}
    <a class="button" href="{index}">{labels["mine"]}</a>
  </div>
</section>"""
    return _page(language=language, title=title, urls=urls, body=body)
