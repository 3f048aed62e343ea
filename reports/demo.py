"""Demo: build the statistics rollups for whatever demo data the other apps created."""

from reports.services import rollup_rebuild_all


def seed(ctx):
    counts = rollup_rebuild_all()
    ctx.say(
        f"reports: rollups rebuilt ({counts['programs']} programs, "
        f"{counts['attendance_rows']} unit×rank rows, {counts['trainee_years']} trainee-years)"
    )
