"""Every English catalogue is complete, compiled and keeps its placeholders.

For each django.po under <app>/locale/en/LC_MESSAGES/ (and the project catalogue in
locale/en/LC_MESSAGES/):

- no entry is untranslated or fuzzy;
- every msgstr keeps exactly the %(name)s / %s placeholders of its msgid;
- the compiled django.mo next to it holds every entry with the same translation (a stale or
  missing .mo would silently show Chinese).

Only the standard library is used: the .po is parsed minimally here and the .mo is read with
gettext.GNUTranslations. The reports catalogue is skipped while reports/locale does not exist
yet (that app is still being written); every other catalogue is required.
"""

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
# Apps whose English catalogue must exist. reports/ may not have one yet.
REQUIRED_APPS = ["programs", "enrollment", "attendance", "evaluation"]
OPTIONAL_APPS = ["reports"]
LC_MESSAGES = Path("locale", "en", "LC_MESSAGES")

# %(name)s, %(n)d, %s, %d ... (after %% has been removed).
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0+-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), f"not a PO string: {text!r}"
    return ast.literal_eval(text)


def parse_po(path: Path) -> list[Entry]:
    """A minimal PO parser: enough for the files makemessages writes."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None  # (field, plural index)

    def finish():
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            if entry is None:
                entry = Entry(line=number)
            entry.obsolete = True
            continue
        if line.startswith("#"):
            # A comment after strings starts a new entry (no blank line in between).
            if entry is not None and target is not None:
                finish()
            if entry is None:
                entry = Entry(line=number)
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        if entry is None:
            entry = Entry(line=number)
        if line.startswith('"'):
            assert target is not None, f"{path}:{number}: continuation without keyword"
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += _unquote(line)
            else:
                setattr(entry, name, getattr(entry, name) + _unquote(line))
            continue
        keyword, _, rest = line.partition(" ")
        match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
        if match:
            target = ("msgstr", int(match[1]))
            entry.msgstr[target[1]] = _unquote(rest)
        elif keyword == "msgstr":
            target = ("msgstr", 0)
            entry.msgstr[0] = _unquote(rest)
        elif keyword in {"msgctxt", "msgid", "msgid_plural"}:
            if keyword in {"msgctxt", "msgid"} and entry.msgstr:
                # A new entry without a blank line before it.
                finish()
                entry = Entry(line=number)
            target = (keyword, None)
            setattr(entry, keyword, _unquote(rest))
        else:
            raise AssertionError(f"{path}:{number}: cannot parse {raw!r}")
    finish()
    return [e for e in entries if not e.obsolete and (e.msgid or e.msgstr)]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text.replace("%%", "")))


def stray_percent(text: str) -> bool:
    """A lone % in a python-format string breaks the % operator at runtime."""
    return "%" in PLACEHOLDER.sub("", text.replace("%%", ""))


def _catalogues():
    params = [pytest.param(BASE_DIR / LC_MESSAGES / "django.po", id="locale")]
    for app in REQUIRED_APPS:
        params.append(pytest.param(BASE_DIR / app / LC_MESSAGES / "django.po", id=app))
    for app in OPTIONAL_APPS:
        params.append(
            pytest.param(
                BASE_DIR / app / LC_MESSAGES / "django.po",
                id=app,
                marks=pytest.mark.skipif(
                    not (BASE_DIR / app / "locale").exists(),
                    reason=f"{app}/locale does not exist yet",
                ),
            )
        )
    known = {p.values[0] for p in params}
    for po in sorted(BASE_DIR.glob(f"*/{LC_MESSAGES.as_posix()}/*.po")):
        if ".venv" in po.parts or po in known:
            continue
        params.append(pytest.param(po, id=po.relative_to(BASE_DIR).parts[0]))
    return params


CATALOGUES = _catalogues()


def _messages(entry: Entry) -> list[str]:
    if entry.msgid_plural is not None:
        return [entry.msgstr.get(i, "") for i in range(max(len(entry.msgstr), 2))]
    return [entry.msgstr.get(0, "")]


def _content_entries(po: Path) -> list[Entry]:
    assert po.exists(), f"{po.relative_to(BASE_DIR)} is missing"
    return [e for e in parse_po(po) if e.msgid]  # drop the header (msgid "")


@pytest.mark.parametrize("po", CATALOGUES)
def test_every_entry_translated_and_not_fuzzy(po):
    problems = []
    for entry in _content_entries(po):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if any(not m for m in _messages(entry)):
            problems.append(f"untranslated: {entry.label}")
    assert not problems, f"{po.relative_to(BASE_DIR)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("po", CATALOGUES)
def test_placeholders_match(po):
    problems = []
    for entry in _content_entries(po):
        expected = placeholders(entry.msgid) | placeholders(entry.msgid_plural or "")
        for message in _messages(entry):
            if not message:
                continue
            got = placeholders(message)
            if got != expected:
                problems.append(
                    f"{entry.label}: {sorted(expected)} != {sorted(got)} in {message!r}"
                )
            if "python-format" in entry.flags and stray_percent(message):
                problems.append(f"{entry.label}: lone % (write %%) in {message!r}")
    assert not problems, f"{po.relative_to(BASE_DIR)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("po", CATALOGUES)
def test_compiled_catalogue_is_up_to_date(po):
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo.relative_to(BASE_DIR)} is missing: run compilemessages"
    with mo.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)._catalog
    problems = []
    for entry in _content_entries(po):
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            compiled = catalog.get(key)
            if compiled != entry.msgstr.get(0):
                problems.append(f"{entry.label}: .mo has {compiled!r}")
        else:
            for i, message in enumerate(_messages(entry)):
                compiled = catalog.get((key, i))
                if compiled != message:
                    problems.append(f"{entry.label}[{i}]: .mo has {compiled!r}")
    assert not problems, (
        f"{mo.relative_to(BASE_DIR)} does not match the .po (run compilemessages):\n"
        + "\n".join(problems)
    )


def test_parser_reads_plurals_context_fuzzy_and_escapes(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid "共 %(n)s 人"\nmsgstr "%(n)s people"\n\n'
        'msgctxt "地点"\nmsgid "分"\nmsgstr ""\n"Bran"\n"ch \\"x\\""\n\n'
        'msgid "%(n)s 处"\nmsgid_plural "%(n)s 处"\nmsgstr[0] "%(n)s passage"\nmsgstr[1] ""\n\n'
        '#~ msgid "旧"\n#~ msgstr "Old"\n',
        encoding="utf-8",
    )
    header, fuzzy, ctx, plural = parse_po(po)
    assert header.msgid == "" and "charset=UTF-8" in header.msgstr[0]
    assert fuzzy.flags == {"fuzzy", "python-format"} and fuzzy.msgstr == {0: "%(n)s people"}
    assert (ctx.msgctxt, ctx.msgid, ctx.msgstr[0]) == ("地点", "分", 'Branch "x"')
    assert plural.msgid_plural == "%(n)s 处" and _messages(plural) == ["%(n)s passage", ""]
    assert placeholders("%(rate)s%% 与 %s") == {"%(rate)s", "%s"}
    assert stray_percent("50% done") and stray_percent("Progress (%)")
    assert not stray_percent("%(r)s%% done")
