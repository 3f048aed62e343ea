"""Reading rosters (花名册) as offices really send them.

Quirks handled: a title row (often merged) above the header; merged cells (a unit written once
for several people); columns in any order, named with common variants; full-width and ordinary
spaces inside names; phone numbers stored as numbers; ID numbers with a lower-case trailing x or
stored as numbers (precision lost: refused); blank rows; footer rows such as 填表人/审核人.
"""

import io
import math
import re
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from accounts.models import Gender, Rank
from core.errors import DomainError

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # legacy .xls / .doc

# Canonical column -> header spellings seen in real rosters (compared without spaces/brackets).
HEADERS = {
    "name": ("姓名", "名字", "学员姓名", "参训人员", "参训人员姓名"),
    "unit": ("单位", "工作单位", "所在单位", "单位名称", "工作单位及职务单位"),
    "position": ("职务", "现任职务", "职务职称", "现职务", "职位"),
    "rank": ("职级", "级别", "职级级别", "现职级"),
    "phone": ("手机号码", "手机", "手机号", "联系电话", "联系方式", "电话", "移动电话"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "身份证"),
    "gender": ("性别",),
    "staff_number": ("工号", "人员编号", "干部编号", "编号"),
    "note": ("备注", "备注说明", "说明"),
}
# Headers that carry nothing to keep (the row number): not reported as unused.
IGNORED_HEADERS = ("序号", "编号序号", "排序")
NOTE_MAX = 200
FOOTER_WORDS = (
    "填表人",
    "审核人",
    "制表人",
    "制表",
    "联系人",
    "填报人",
    "负责人",
    "单位盖章",
    "盖章",
    "备注",
    "注:",
    "说明",
)
RANKS = {
    "省部级": Rank.PROVINCIAL,
    "正部": Rank.PROVINCIAL,
    "副部": Rank.PROVINCIAL,
    "厅局级": Rank.BUREAU,
    "正厅": Rank.BUREAU,
    "副厅": Rank.BUREAU,
    "厅级": Rank.BUREAU,
    "县处级": Rank.COUNTY,
    "正处": Rank.COUNTY,
    "副处": Rank.COUNTY,
    "处级": Rank.COUNTY,
    "乡科级": Rank.SECTION,
    "正科": Rank.SECTION,
    "副科": Rank.SECTION,
    "科级": Rank.SECTION,
    "一般干部": Rank.STAFF,
    "科员": Rank.STAFF,
    "办事员": Rank.STAFF,
}
SPACES = re.compile(r"[\s\u3000\u00a0]+")
HEADER_NOISE = re.compile(r"[\s\u3000\u00a0()()*※:]+")
PHONE = re.compile(r"^1\d{10}$")
HEADER_SCAN_ROWS = 15


def normalize_header(value) -> str:
    return HEADER_NOISE.sub("", str(value or ""))


def clean_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return SPACES.sub(" ", str(value)).strip()


def clean_name(value) -> str:
    """Names lose every space: 张　三 and 张 三 are 张三 (offices pad two-character names)."""
    return SPACES.sub("", clean_text(value).replace("\u3000", ""))


def clean_phone(value) -> tuple[str, str]:
    """(phone, error). Numbers come back from Excel as int or float; strings may hold dashes."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, float):
        value = int(value) if math.isfinite(value) else str(value)
    digits = re.sub(r"[\s\-\u3000]", "", str(value))
    if digits.startswith("+86"):
        digits = digits[3:]
    if not PHONE.match(digits):
        return digits, _("手机号码“%(v)s”不是 11 位手机号。") % {"v": digits}
    return digits, ""


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def clean_id_number(value) -> tuple[str, str]:
    """(id_number, error). A trailing x becomes X; an ID stored as a number has lost its last
    digits in Excel (15 significant digits) and cannot be trusted."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, (int, float)):
        shown = str(int(value)) if math.isfinite(value) else str(value)
        return shown, _("身份证号被存成了数字,末位已丢失,请把该列设为文本后重新填写。")
    text = re.sub(r"[\s\u3000'‘’]", "", str(value)).upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        return text, _("身份证号“%(v)s”格式不正确(应为 18 位)。") % {"v": text}
    if id_check_digit(text[:17]) != text[17]:
        return text, checksum_error(text)
    return text, ""


def checksum_error(text: str) -> str:
    return _("身份证号“%(v)s”校验位不正确(可能填错了一位)。") % {"v": text}


def id_checksum_wrong(text: str) -> bool:
    """An 18-character ID number whose only fault is its GB 11643 check digit (likely a typo)."""
    return bool(re.fullmatch(r"\d{17}[\dX]", text)) and id_check_digit(text[:17]) != text[17]


def clean_gender(value) -> str:
    text = clean_name(value)
    return {"男": Gender.MALE, "女": Gender.FEMALE}.get(text, "")


def clean_rank(value) -> str:
    text = clean_name(value)
    if not text:
        return ""
    for word, rank in RANKS.items():
        if word in text:
            return rank
    return ""


@dataclass
class ParsedRoster:
    header_row: int
    columns: dict  # canonical name -> column index (0-based)
    rows: list = field(default_factory=list)  # dicts with "row" (Excel row number) and fields
    unused: list = field(default_factory=list)  # headers of columns with data nobody reads


def check_upload(upload) -> None:
    """The project's one upload check (size, content sniffed, zip bomb), before any parsing: the
    name of a file proves nothing. A legacy .xls gets its own hint."""
    from core import uploads

    try:
        uploads.check_upload(upload, kinds={"xlsx"}, field="file")
    except DomainError as exc:
        if exc.code == "upload_type" and uploads._read_head(upload)[:4] == OLE_SIGNATURE:
            raise DomainError(
                _("这是旧版 Excel(.xls)文件,请在 Excel 中另存为 .xlsx 后再上传。"),
                field="file",
                code="upload_type",
            ) from exc
        raise


# Bounds that fit a real roster (a county's whole cadre list is a few thousand rows) and keep a
# hostile or broken file from costing the web worker more than a few MB and a few seconds: they are
# checked before the workbook is parsed (the zip's declared sizes, the sheet's declared dimension)
# and again while it is streamed (a dimension can lie).
MAX_ROWS = 5000
MAX_COLUMNS = 50
MAX_UNCOMPRESSED_BYTES = 40 * 1024 * 1024  # all members of the .xlsx together, once unpacked
MAX_MERGED = 5000
TIME_BUDGET_SECONDS = 10.0


def _too_big(detail) -> DomainError:
    return DomainError(
        _(
            "该文件超出名册的合理范围(%(detail)s):名册最多 %(rows)d 行、%(cols)d 列。"
            "请只保留名册所在的工作表和行列,另存后再上传。"
        )
        % {"detail": detail, "rows": MAX_ROWS, "cols": MAX_COLUMNS},
        field="file",
        code="too_big",
    )


def _broken() -> DomainError:
    return DomainError(
        _("无法读取该 Excel 文件(文件可能已损坏或不是 .xlsx)。"), field="file", code="broken"
    )


def _check_archive(data: bytes) -> None:
    """Beyond the general zip-bomb check (core.uploads): what a roster may unpack to in all,
    read from the zip's central directory before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(m.file_size for m in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _broken() from exc
    if total > MAX_UNCOMPRESSED_BYTES:
        raise _too_big(_("解压后 %(mb).0f MB") % {"mb": total / 1048576})


def _load(data: bytes):
    from openpyxl import load_workbook

    try:
        # Streaming (read-only): cells are produced row by row, never a whole sheet in memory.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise _broken() from exc


CELL_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")
MERGE_REF = re.compile(r"^([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)$")


def _scan_sheet(wb, ws, deadline: float) -> list[tuple[int, int, int, int]]:
    """One streaming pass over the sheet's XML, before any cell is built: refuse a value beyond
    MAX_ROWS or MAX_COLUMNS (whatever the declared dimension says), and collect the merged ranges
    (min_row, min_col, max_row, max_col), which a read-only sheet does not expose."""
    import time
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils import column_index_from_string

    merged = []
    row_number = 0
    parents = []  # open elements: a finished row is detached, so memory stays flat
    with wb._archive.open(ws._worksheet_path) as src:
        for event, elem in iterparse(src, events=("start", "end")):
            if event == "start":
                parents.append(elem)
                continue
            parents.pop()
            tag = elem.tag.rsplit("}", 1)[-1]
            if tag == "c":
                m = CELL_REF.match(elem.get("r", ""))
                row, col = (int(m[2]), column_index_from_string(m[1])) if m else (row_number, 0)
                if (row > MAX_ROWS or col > MAX_COLUMNS) and any(
                    (child.text or "").strip() or len(child) for child in elem
                ):
                    raise _too_big(_("第 %(row)d 行第 %(col)d 列有内容") % {"row": row, "col": col})
            elif tag == "row":
                row_number = int(elem.get("r") or row_number + 1)
                if parents:
                    parents[-1].remove(elem)
                if time.monotonic() > deadline:
                    raise _too_slow()
            elif tag == "mergeCell":
                m = MERGE_REF.match(elem.get("ref", ""))
                if m:
                    merged.append(
                        (
                            int(m[2]),
                            column_index_from_string(m[1]),
                            int(m[4]),
                            column_index_from_string(m[3]),
                        )
                    )
                    if len(merged) > MAX_MERGED:
                        raise _too_big(_("合并单元格超过 %(n)d 处") % {"n": MAX_MERGED})
            if tag not in ("is", "v", "t", "r", "rPr"):  # a cell's value parts are read above
                elem.clear()
    return merged


def _too_slow() -> DomainError:
    return DomainError(
        _("读取该文件用时过长,已停止。请只保留名册所在的行列,另存后再上传。"),
        field="file",
        code="too_slow",
    )


def _grid(data: bytes) -> list[list]:
    """Cell values of the first sheet, row by row, with every merged range filled from its
    top-left cell. Bounded: the declared dimension is checked first, then one streaming pass
    over the XML checks where values really are, then at most MAX_ROWS x MAX_COLUMNS values are
    read, all within a time budget."""
    import time

    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    wb = _load(data)
    try:
        if not wb.worksheets:
            raise _broken()
        ws = wb.worksheets[0]
        if (ws.max_row or 0) > MAX_ROWS or (ws.max_column or 0) > MAX_COLUMNS:
            raise _too_big(_("工作表范围 %(dim)s") % {"dim": ws.calculate_dimension()})
        merged = _scan_sheet(wb, ws, deadline)
        grid = []
        for row in ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True):
            if time.monotonic() > deadline:
                raise _too_slow()
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            grid.append(values)
        while grid and not grid[-1]:
            grid.pop()
        for min_row, min_col, max_row, max_col in merged:
            if min_row > len(grid) or min_col > MAX_COLUMNS:
                continue
            top = grid[min_row - 1]
            value = top[min_col - 1] if min_col - 1 < len(top) else None
            for r in range(min_row, min(max_row, len(grid)) + 1):
                row = grid[r - 1]
                last = min(max_col, MAX_COLUMNS)
                if len(row) < last:
                    row.extend([None] * (last - len(row)))
                for c in range(min_col, last + 1):
                    row[c - 1] = value
        return grid
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, SyntaxError) as exc:
        raise _broken() from exc
    finally:
        wb.close()


def _find_header(grid) -> tuple[int, dict]:
    best_row, best = -1, {}
    for i, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        found = {}
        for j, value in enumerate(row):
            text = normalize_header(value)
            for key, names in HEADERS.items():
                if key not in found and text in names:
                    found[key] = j
        # A merged title repeats one value over many cells: it never matches several headers.
        if len(found) > len(best):
            best_row, best = i, found
    if "name" not in best or len(best) < 2:
        raise DomainError(
            _("没有找到表头:请确认表格中有“姓名”列,以及“单位、职务、手机号码、身份证号”等列。"),
            field="file",
            code="no_header",
        )
    return best_row, best


def _is_footer(values: list[str]) -> bool:
    first = next((v for v in values if v), "")
    compact = first.replace(" ", "")
    return any(compact.startswith(w) for w in FOOTER_WORDS)


# The cells a row is made of, as the preview shows them and the inline edit sends them back.
ROW_FIELDS = (
    "name",
    "unit",
    "position",
    "rank_text",
    "phone",
    "id_number",
    "gender",
    "staff_number",
    "note",
)


def clean_row(cells: dict, excel_row: int) -> dict:
    """One roster row from raw cell values (keys as HEADERS, rank as "rank"), cleaned, with the
    problems found without looking at the database: `parse_errors` block the row,
    `parse_warnings` do not, `id_error` (a wrong check digit) blocks unless the person is
    identified otherwise (decided when matching)."""
    errors, warnings = [], []
    name = clean_name(cells.get("name"))
    if not name:
        errors.append(_("缺少姓名。"))
    phone, err = clean_phone(cells.get("phone"))
    if err:
        errors.append(err)
    id_number, err = clean_id_number(cells.get("id_number"))
    id_error = ""
    if err and err == checksum_error(id_number):  # only a wrong check digit
        id_error = err
    elif err:
        errors.append(err)
    rank_text = clean_text(cells.get("rank"))
    rank = clean_rank(rank_text)
    if rank_text and not rank:
        warnings.append(_("无法识别职级“%(v)s”,将留空。") % {"v": rank_text})
    gender = cells.get("gender")
    return {
        "row": excel_row,
        "name": name,
        "unit": clean_name(cells.get("unit")),
        "position": clean_text(cells.get("position")),
        "rank": rank,
        "rank_text": rank_text,
        "phone": phone,
        "id_number": id_number,
        "id_error": id_error,
        "gender": gender if gender in (Gender.MALE, Gender.FEMALE) else clean_gender(gender),
        "staff_number": clean_text(cells.get("staff_number")),
        "note": clean_text(cells.get("note"))[:NOTE_MAX],
        "parse_errors": errors,
        "parse_warnings": warnings,
        # what matching adds to these is recomputed every time (see services._match_rows)
        "errors": list(errors),
        "warnings": list(warnings),
    }


def _unused_columns(grid, header_index: int, columns: dict) -> list[str]:
    """Headers of the columns below the header that hold data the importer does not read."""
    used = set(columns.values())
    header = grid[header_index]
    unused = []
    for j, value in enumerate(header):
        text = clean_text(value)
        if j in used or not text or normalize_header(text) in IGNORED_HEADERS:
            continue
        if any(j < len(r) and clean_text(r[j]) for r in grid[header_index + 1 :]):
            unused.append(text)
    return unused


def parse_roster(upload) -> ParsedRoster:
    """Parse an uploaded .xlsx roster (first sheet) into cleaned rows with per-row errors."""
    check_upload(upload)
    upload.seek(0)
    data = upload.read()
    _check_archive(data)
    grid = _grid(data)
    header_index, columns = _find_header(grid)
    parsed = ParsedRoster(header_row=header_index + 1, columns=columns)
    body = []
    for offset, raw in enumerate(grid[header_index + 1 :]):
        texts = [clean_text(v) for v in raw]
        if not any(texts):
            continue  # blank row
        if _is_footer(texts):
            break  # 填表人 … and anything below it
        body.append(raw)
        cells = {key: raw[j] if j < len(raw) else None for key, j in columns.items()}
        parsed.rows.append(clean_row(cells, header_index + 2 + offset))
    if not parsed.rows:
        raise DomainError(_("表头下面没有人员数据。"), field="file", code="empty")
    parsed.unused = _unused_columns([grid[header_index], *body], 0, columns)
    return parsed
