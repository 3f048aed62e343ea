"""What evaluation needs to know from the apps above it, without importing them.

Imports run one way (… → evaluation → credits): evaluation may not import credits, which keeps
the yearly requirement of each rank as policy data (credits.models.Requirement). Credits offers
its answer here from its AppConfig.ready():

    from evaluation import hooks
    hooks.register(yearly_requirements=...)

- yearly_requirements(year) -> {rank: hours a year} (the national rows in force; a rank measured
  over five years gives a fifth of its window). With no app registered: no requirement.
"""

_registry: dict = {}

NAMES = ("yearly_requirements",)


def register(**hooks) -> None:
    unknown = set(hooks) - set(NAMES)
    if unknown:
        raise ValueError(f"unknown evaluation hooks: {sorted(unknown)}")
    _registry.update(hooks)


def yearly_requirements(year: int) -> dict:
    hook = _registry.get("yearly_requirements")
    return dict(hook(year)) if hook is not None else {}
