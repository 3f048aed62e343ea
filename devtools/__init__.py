"""Development-only tools: the benchmarks (`manage.py bench`), the province-year seeder they use,
and the bare view the check-in benchmark compares against.

config/settings.py installs this app and config/urls.py routes it only when LECTERN_ENV is not
production, so nothing here is part of a deployed Lectern. It may import any app; no product app
imports it.
"""
