"""The roster importer bounds what it parses before parsing it (issue: a 1.5 KB sheet whose one
cell sat far down built 3 M cells; a small compressed sheet yielded a 60,000-row preview)."""

import io
import resource
import time
import tracemalloc
import zipfile

import pytest

from core.errors import DomainError
from enrollment.imports import parse as roster_import
from enrollment.imports.parse import parse_roster
from tests.enrollment.factories import upload, workbook_bytes

pytestmark = pytest.mark.django_db
SHEET = "xl/worksheets/sheet1.xml"


def _replace_sheet(xlsx: bytes, sheet_xml: str | bytes) -> bytes:
    """The same workbook with its first sheet's XML replaced (deflated, as Excel writes it)."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == SHEET:
                data = sheet_xml.encode() if isinstance(sheet_xml, str) else sheet_xml
            dst.writestr(item.filename, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _base() -> bytes:
    return workbook_bytes(lambda ws: ws.append(["姓名", "手机号码"]))


def _sheet(rows_xml: str, dimension: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>'
    )


def _row(r: int, *cells: tuple[str, str]) -> str:
    inner = "".join(f'<c r="{col}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for col, v in cells)
    return f'<row r="{r}">{inner}</row>'


def _far_cell(dimension: str, column: str = "XFD") -> bytes:
    header = _row(1, ("A", "姓名"), ("B", "手机号码"))
    far = f'<row r="1000000"><c r="{column}1000000" t="inlineStr"><is><t>x</t></is></c></row>'
    return _replace_sheet(_base(), _sheet(header + far, dimension))


def _measured(content: bytes):
    """Parse `content`; return (the DomainError raised, peak traced MB, seconds). The process's
    own peak (ru_maxrss, which also sees C allocations such as the XML parser's) may not grow by
    more than 50 MB either."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(DomainError) as exc:
            parse_roster(upload(content))
    finally:
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert rss_growth_mb < 50, rss_growth_mb
    return exc.value, peak / 1048576, time.monotonic() - started


def test_a_tiny_file_whose_one_cell_sits_at_row_a_million_column_xfd_is_refused_cheaply(world):
    content = _far_cell("A1:XFD1000000")
    assert len(content) < 8192
    error, peak_mb, seconds = _measured(content)
    assert error.code == "too_big" and "5000" in error.message and error.field == "file"
    assert peak_mb < 20 and seconds < 5


def test_a_lying_dimension_does_not_help_the_far_cell(world):
    """The declared A1:B1 is a lie: the streaming scan of the XML still stops it, cheaply."""
    for column in ("A", "XFD"):
        error, peak_mb, seconds = _measured(_far_cell("A1:B1", column=column))
        assert error.code == "too_big" and "5000" in error.message and "1000000" in error.message
        assert peak_mb < 20 and seconds < 5


def test_a_compressed_sheet_of_60000_rows_is_refused_without_building_them(world):
    rows = "".join(_row(i, ("A", "张三"), ("B", "13912345678")) for i in range(2, 60002))
    header = _row(1, ("A", "姓名"), ("B", "手机号码"))
    for dimension in ("A1:B60001", "A1:B2"):  # honest, then lying
        content = _replace_sheet(_base(), _sheet(header + rows, dimension))
        assert len(content) < 1024 * 1024
        error, peak_mb, _seconds = _measured(content)
        assert error.code == "too_big", dimension
        assert "5000" in error.message
        assert peak_mb < 30, (dimension, peak_mb)


def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_unpacking(world):
    huge = _sheet(_row(1, ("A", "姓名"), ("B", "x" * (50 * 1024 * 1024))), "A1:B1")
    content = _replace_sheet(_base(), huge)
    assert len(content) < 1024 * 1024
    error, peak_mb, seconds = _measured(content)
    assert error.code == "upload_bomb" and "解压后过大" in error.message
    # The 50 MB member was never inflated (the test's own string is not traced: built before).
    assert peak_mb < 5 and seconds < 2


def test_a_roster_unpacking_beyond_the_roster_bound_is_refused(world, monkeypatch):
    """Within the general ratio, but more than a roster ever unpacks to."""
    monkeypatch.setattr(roster_import, "MAX_UNCOMPRESSED_BYTES", 200 * 1024)
    rows = "".join(_row(i, ("A", f"学员{i}"), ("B", f"139{i:08d}")) for i in range(2, 4000))
    content = _replace_sheet(
        _base(), _sheet(_row(1, ("A", "姓名"), ("B", "手机号码")) + rows, "A1:B3999")
    )
    error, _peak, _seconds = _measured(content)
    assert error.code == "too_big" and "MB" in error.message


def test_too_many_columns_are_refused(world):
    def build(ws):
        ws.append(["姓名", "手机号码"] + [f"列{i}" for i in range(60)])

    with pytest.raises(DomainError) as exc:
        parse_roster(upload(workbook_bytes(build)))
    assert exc.value.code == "too_big"


def test_blank_formatted_rows_below_the_data_cost_nothing(world):
    header = _row(1, ("A", "姓名"), ("B", "手机号码"))
    body = _row(2, ("A", "张三"), ("B", "13912345678"))
    blank = '<row r="900000"/>'
    content = _replace_sheet(_base(), _sheet(header + body + blank, "A1:B2"))
    parsed = parse_roster(upload(content))
    assert [r["name"] for r in parsed.rows] == ["张三"]


def test_the_time_budget_stops_a_slow_parse(world, monkeypatch):
    monkeypatch.setattr(roster_import, "TIME_BUDGET_SECONDS", -1)
    with pytest.raises(DomainError) as exc:
        parse_roster(upload(workbook_bytes(lambda ws: ws.append(["姓名", "手机号码"]))))
    assert exc.value.code == "too_slow"


def test_a_roster_at_the_row_limit_still_imports(world):
    def build(ws):
        ws.append(["姓名", "手机号码"])
        for i in range(roster_import.MAX_ROWS - 1):
            ws.append([f"学员{i}", f"139{i:08d}"])

    assert len(parse_roster(upload(workbook_bytes(build))).rows) == roster_import.MAX_ROWS - 1


def test_the_upload_page_shows_the_refusal_and_the_server_stays_healthy(world, client_for):
    from django.urls import reverse

    client = client_for(world.organizer)
    url = reverse("enrollment:import_upload", args=[world.program.pk])
    f = upload(_far_cell("A1:XFD1000000"))
    response = client.post(url, {"file": f})
    assert response.status_code == 200
    assert "名册最多" in response.content.decode()


def test_a_long_run_of_empty_rows_is_scanned_in_flat_memory(world):
    """Row elements are detached as they are read: a long run of empty rows costs no memory.
    (Deflate packs them small, but not small enough to pass the zip-bomb check: keep it at the
    largest count that passes.)"""
    header = _row(1, ("A", "姓名"), ("B", "手机号码"))
    body = _row(2, ("A", "张三"), ("B", "13912345678"))
    empty = "".join(f'<row r="{i}"/>' for i in range(3, 60_000))
    content = _replace_sheet(_base(), _sheet(header + body + empty, "A1:B2"))
    tracemalloc.start()
    try:
        parsed = parse_roster(upload(content))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r["name"] for r in parsed.rows] == ["张三"]
    assert peak / 1048576 < 20
