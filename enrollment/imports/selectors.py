"""Reads of the roster import: the unit texts a preview could not place, with suggestions."""

from accounts.models import OrgUnit
from enrollment.imports.match import suggest_units, unit_forms
from programs.access import jurisdiction_path


def import_unknown_units(batch) -> list[dict]:
    """Per distinct unit text the preview could not place: how many rows, the likeliest units
    (the program's own unit subtree first) and every unit of the program's territory to pick
    from, each labelled with its full name (云江市发展和改革委员会). Two queries."""
    counts: dict = {}
    for r in batch.rows:
        if r.get("unit_unknown"):
            counts[r["unit"]] = counts.get(r["unit"], 0) + 1
    if not counts:
        return []
    program = batch.program
    units = list(
        OrgUnit.objects.filter(
            path__startswith=jurisdiction_path(program.organizing_unit)
        ).order_by("path")
    )
    by_id = {u.pk: u for u in units}
    labels = {u.pk: max(unit_forms(u, by_id), key=len) for u in units}
    choices = [(u.pk, labels[u.pk]) for u in units]
    home = program.organizing_unit.path
    return [
        {
            "text": text,
            "rows": n,
            "suggestions": [
                (u.pk, labels[u.pk]) for u in suggest_units(text, units, by_id, home_path=home)
            ],
            "choices": choices,
        }
        for text, n in counts.items()
    ]
