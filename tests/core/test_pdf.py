import shutil
import subprocess

import pytest

from core.pdf import html_to_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils missing (bin/test installs it)"
)


def test_pdf_helper_embeds_cjk_font_and_names_are_extractable(tmp_path):
    html = """<h1>云江市乡镇党政正职专题培训班 签到表</h1>
    <table><thead><tr><th>姓名</th><th>单位</th></tr></thead>
    <tbody><tr><td>江沐阳</td><td>青湖区桃源镇</td></tr><tr><td>苏婉清</td><td>市委党校</td></tr>
    </tbody></table>"""
    pdf = html_to_pdf(html)
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "江沐阳" in text and "苏婉清" in text
    assert "第1页/共1页" in text.replace(" ", "")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line or "SC" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts  # embedded (emb column)
