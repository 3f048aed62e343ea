import random
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

DEMO_PASSWORD = "lectern2026"


@dataclass
class DemoContext:
    """What one app's demo seeder hands to the next (units, users, programs, …).

    Every seeder must be idempotent: look rows up by a stable natural key before creating them.
    """

    rng: random.Random = field(default_factory=lambda: random.Random(2026))
    today: date = field(default_factory=lambda: timezone.localdate())
    units: dict = field(default_factory=dict)  # code -> OrgUnit
    users: dict = field(default_factory=dict)  # demo login -> User
    cadres: list = field(default_factory=list)  # every generated cadre (trainee candidates)
    programs: dict = field(default_factory=dict)  # code -> Program
    extra: dict = field(default_factory=dict)  # anything else an app wants to pass on
    log: list = field(default_factory=list)

    def say(self, line: str) -> None:
        self.log.append(line)
