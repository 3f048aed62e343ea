"""The certificate PDF's HTML follows the language it is made in (title spacing is for Chinese only)."""

from types import SimpleNamespace

from django.template.loader import render_to_string
from django.utils import translation


def _render(lang):
    cert = SimpleNamespace(
        holder_name="江沐阳", program_title="局长讲堂(第2期)", serial="JY2026-00001-ABC123"
    )
    with translation.override(lang):
        return render_to_string(
            "evaluation/pdf/certificate.html", {"cert": cert, "program": None, "hours": 8}
        )


def test_english_certificate_is_marked_english_and_drops_the_wide_chinese_title_spacing():
    html = _render("en")
    assert '<html lang="en">' in html
    assert "html[lang=en] h1 { letter-spacing: 1pt; }" in html
    assert "Certificate of completion" in html


def test_chinese_certificate_stays_zh_hans():
    html = _render("zh-hans")
    assert '<html lang="zh-hans">' in html
    assert "结业证书" in html
