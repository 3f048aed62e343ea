"""The development-only URLs (devtools app, not routed in production)."""

from tests.permissions import Entry, everyone

PERMISSIONS = {
    "devtools:ping": Entry(expect=everyone(200)),
}
