"""Reading the online college's yearly export (干部网络学院学时导出): .xlsx or .csv with the
columns 姓名, 身份证号 or 手机号码, 课程名称, 学时, 完成日期 (common variants accepted), and
matching each row to a person by identity: the ID number (or else the phone) must belong to one
account, and its name must be the row's name."""

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import DomainError
from core.uploads import MB, check_upload
from credits.models import MAX_ENTRY_HOURS
from enrollment.imports.parse import clean_id_number, clean_name, clean_phone, normalize_header

MAX_ROWS = 20000
MAX_BYTES = 10 * MB
HEADERS = {
    "name": ("姓名", "学员姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码"),
    "phone": ("手机号码", "手机", "手机号", "联系电话"),
    "course": ("课程名称", "课程", "课程名", "专题名称"),
    "hours": ("学时", "获得学时", "学时数"),
    "date": ("完成日期", "日期", "学习日期", "完成时间"),
}


def _table(upload) -> list[list]:
    kind = check_upload(upload, kinds={"xlsx", "csv"}, max_bytes=MAX_BYTES, field="file")
    upload.seek(0)
    data = upload.read()
    if kind == "csv":
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError(_("无法识别 CSV 文件的编码,请另存为 UTF-8。"), field="file")
        return list(itertools.islice(csv.reader(io.StringIO(text)), MAX_ROWS + 2))
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # a broken workbook is the user's file, not our error
        raise DomainError(_("无法读取该 Excel 文件。"), field="file") from exc
    ws = wb.worksheets[0]
    rows = [list(r) for r in itertools.islice(ws.iter_rows(values_only=True), MAX_ROWS + 2)]
    wb.close()
    return rows


def _columns(header) -> dict:
    found = {}
    for index, cell in enumerate(header):
        text = normalize_header(cell)
        for key, names in HEADERS.items():
            if text in names and key not in found:
                found[key] = index
    return found


def _hours(value) -> tuple[Decimal | None, str]:
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, _("学时“%(v)s”不是数字。") % {"v": value}
    if not hours.is_finite() or hours <= 0 or hours > MAX_ENTRY_HOURS:
        return None, _("学时须大于 0 且不超过 %(max)s。") % {"max": MAX_ENTRY_HOURS}
    return hours.quantize(Decimal("0.1")), ""


def _date(value) -> tuple[dt.date | None, str]:
    if isinstance(value, dt.datetime):
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    text = str(value or "").strip().replace("/", "-").replace(".", "-")[:10]
    try:
        return dt.date.fromisoformat(text), ""
    except ValueError:
        return None, _("日期“%(v)s”格式不正确(应为 2026-05-01)。") % {"v": value}


def read_rows(upload) -> list[dict]:
    """Every data row as a dict (row number, the cleaned cells, `problem` when malformed)."""
    table = [r for r in _table(upload) if any(c not in (None, "") for c in r)]
    if not table:
        raise DomainError(_("文件是空的。"), field="file")
    columns = _columns(table[0])
    missing = [k for k in ("name", "course", "hours", "date") if k not in columns]
    if missing or not ({"id_number", "phone"} & set(columns)):
        raise DomainError(
            _("缺少必需的列:姓名、身份证号或手机号码、课程名称、学时、完成日期。"), field="file"
        )
    if len(table) - 1 > MAX_ROWS:
        raise DomainError(_("一次最多导入 %(n)s 行。") % {"n": MAX_ROWS}, field="file")

    def cell(row, key):
        i = columns.get(key)
        return row[i] if i is not None and i < len(row) else None

    rows = []
    for number, raw in enumerate(table[1:], start=2):
        id_number, id_error = clean_id_number(cell(raw, "id_number"))
        phone, phone_error = clean_phone(cell(raw, "phone"))
        hours, hours_error = _hours(cell(raw, "hours"))
        date, date_error = _date(cell(raw, "date"))
        course = str(cell(raw, "course") or "").strip()[:200]
        problem = (
            hours_error
            or date_error
            or (id_error if id_number else "")
            or (phone_error if phone and not id_number else "")
        )
        if not course:
            problem = problem or _("缺少课程名称。")
        rows.append(
            {
                "row": number,
                "name": clean_name(cell(raw, "name")),
                "id_number": id_number,
                "phone": phone,
                "course": course,
                "hours": str(hours) if hours is not None else "",
                "date": date.isoformat() if date else "",
                "problem": problem,
                "user_id": None,
                "unmatched": "",
            }
        )
    return rows


def match_rows(rows: list[dict]) -> list[dict]:
    """Set each row's `user_id`, or `unmatched` with the reason. Two queries."""
    ids = {r["id_number"] for r in rows if r["id_number"]}
    phones = {r["phone"] for r in rows if r["phone"] and not r["id_number"]}
    by_id, by_phone = {}, {}
    for pk, name, id_number in User.objects.filter(id_number__in=ids).values_list(
        "pk", "full_name", "id_number"
    ):
        by_id.setdefault(id_number, []).append((pk, name))
    for pk, name, phone in User.objects.filter(phone__in=phones).values_list(
        "pk", "full_name", "phone"
    ):
        by_phone.setdefault(phone, []).append((pk, name))
    for r in rows:
        found = by_id.get(r["id_number"]) if r["id_number"] else by_phone.get(r["phone"])
        if not r["id_number"] and not r["phone"]:
            r["unmatched"] = _("没有身份证号或手机号码。")
        elif not found:
            r["unmatched"] = _("系统中没有此人。")
        elif len(found) > 1:
            r["unmatched"] = _("有多个账号使用该证件或号码,无法确定是谁。")
        elif clean_name(found[0][1]) != r["name"]:
            r["unmatched"] = _("姓名与证件或号码登记的“%(name)s”不符。") % {"name": found[0][1]}
        else:
            r["user_id"] = found[0][0]
    return rows
