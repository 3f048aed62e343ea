"""Unit names as offices write them (市发改委, 云江市发展和改革委员会, 青湖区桃源镇人民政府) placed in the
unit tree: every written form of a unit, an exact match (never a guess) and ranked suggestions
for the organizer to pick from. No database: callers pass the units of the program's territory.
"""

TERRITORY_SUFFIXES = ("人民政府", "党工委", "办事处", "政府", "党委")
LEVEL_CHARS = "省市区县"


def _compose(names: list[str]) -> str:
    """云江市 + 市发展和改革委员会 -> 云江市发展和改革委员会; 青湖区 + 委组织部 -> 青湖区委组织部;
    云江市 + 云江市教育局 -> 云江市教育局 (a name that already holds its parent's)."""
    out = prev = ""
    for name in names:
        # `out` always ends with `prev`: a name that holds its parent's name replaces it (云江省 +
        # 云江市 + 云江市教育局 -> 云江省云江市教育局, not 云江省云江市云江市教育局)
        if prev and name.startswith(prev):
            out = out[: len(out) - len(prev)] + name
        elif out and name.startswith(out[-1]):
            out = out[:-1] + name
        else:
            out += name
        prev = name
    return out


def unit_forms(unit, by_id: dict) -> set[str]:
    """Every way of writing `unit` with or without the names of the units above it (as far up as
    `by_id` holds them): 市发展和改革委员会, 云江市发展和改革委员会, 发展和改革委员会 — whether the
    tree stores the full name or the one relative to its parent."""
    chain = [unit]
    parent = by_id.get(unit.parent_id)
    while parent is not None:
        chain.insert(0, parent)
        parent = by_id.get(parent.parent_id)
    names = [u.name for u in chain]
    forms = {_compose(names[i:]) for i in range(len(names))}
    for above in names[:-1]:  # 云江市发展和改革委员会 is also written 市发展和改革委员会
        if unit.name.startswith(above) and len(unit.name) > len(above) + 1:
            rest = unit.name[len(above) :]
            forms |= {above[-1] + rest, rest}
    return forms


def text_variants(text: str) -> set[str]:
    """The text as written and without a generic suffix (青湖区桃源镇人民政府 -> 青湖区桃源镇)."""
    variants = {text}
    for suffix in TERRITORY_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            variants.add(text[: -len(suffix)])
    return variants


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def unit_score(text: str, forms: set[str]) -> float:
    """How likely `text` names a unit written in `forms`: 0 (no) to about 2 (the same words).
    Containment scores by the share of the longer string covered; an abbreviation (市发改委 for
    市发展和改革委员会) is the text's characters in order, starting alike."""
    best = 0.0
    for variant in text_variants(text):
        if len(variant) < 2:
            continue
        for form in forms:
            if variant == form:
                return 2.0
            ratio = min(len(variant), len(form)) / max(len(variant), len(form))
            if variant in form:  # a part of the full name: 发展和改革委员会
                best = max(best, 1.0 + ratio)
                continue
            if form in variant:  # the text holds more than the unit (云江市文旅局 ⊃ 云江市)
                best = max(best, ratio / 2)
                continue
            for candidate in (form, form[1:] if form[0] in LEVEL_CHARS else form):
                if candidate and candidate[0] == variant[0] and _subsequence(variant, candidate):
                    best = max(best, len(variant) / len(candidate))
    return best


def match_unit(text: str, units: list, by_id: dict):
    """The one unit `text` names exactly (in any of its written forms, a generic suffix such as
    人民政府 aside), or None. Never a guess: a department the tree does not hold does not become
    its city because the city's name is part of the text."""
    variants = text_variants(text)
    found = [u for u in units if variants & unit_forms(u, by_id)]
    if len(found) == 1:
        return found[0]
    if len(found) > 1:  # prefer the deepest (桃源镇 over an equally named unit above it)
        deepest = max(u.depth for u in found)
        found = [u for u in found if u.depth == deepest]
        return found[0] if len(found) == 1 else None
    return None


def suggest_units(text: str, units: list, by_id: dict, *, home_path: str = "", limit: int = 5):
    """The likeliest units for an unknown `text`, the program's own unit subtree first."""
    scored = []
    for u in units:
        score = unit_score(text, unit_forms(u, by_id))
        if score >= 0.3:
            scored.append((home_path and u.path.startswith(home_path), score, -u.depth, u))
    scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    return [t[3] for t in scored[:limit]]
