"""Every write to attendance, one module per workflow:

- scan: check-in and check-out from a QR scan (the hot path), and a logged-out phone's scan;
- proxy: the suspected proxy check-in (代签) signals and their evidence;
- marks: a class manager's manual marks and the clearing of a proxy flag;
- leave: leave requests and their decisions;
- leave_limit: the 1/7 leave rule's flags and the withdrawal decision;
- closing: the scheduled closing of check-in and check-out windows;
- rate_warnings: attendance-rate warnings.

Everything callers use is re-exported here (`from attendance import services`).
"""

from attendance.services.closing import (
    CLOSE_LOOKBACK,
    session_close_checkouts,
    session_mark_absent,
    sessions_close_due,
)
from attendance.services.common import class_managers, record_snapshot, session_names
from attendance.services.leave import (
    ATTACHMENT_KINDS,
    MAX_ATTACHMENT_BYTES,
    leave_request_cancel,
    leave_request_create,
    leave_request_decide,
)
from attendance.services.leave_limit import leave_limit_check, leave_limit_decide
from attendance.services.marks import MARKABLE, record_clear_flag, records_mark
from attendance.services.proxy import CLIENT_WINDOW_SECONDS, PROXY_WINDOW_MINUTES, proxy_evidence
from attendance.services.rate_warnings import rate_warnings_check
from attendance.services.scan import (
    PENDING_KEY,
    PENDING_SCAN_SECONDS,
    SESSION_CACHE_SECONDS,
    Client,
    Outcome,
    ScanProgram,
    ScanResult,
    ScanSession,
    checkin_params,
    checkin_scan,
    checkout_scan,
    pending_scan_peek,
    pending_scan_store,
    pending_scan_take,
    scan_apply,
    scan_session_cache_clear,
)

__all__ = [
    "ATTACHMENT_KINDS",
    "CLIENT_WINDOW_SECONDS",
    "CLOSE_LOOKBACK",
    "MARKABLE",
    "MAX_ATTACHMENT_BYTES",
    "PENDING_KEY",
    "PENDING_SCAN_SECONDS",
    "PROXY_WINDOW_MINUTES",
    "SESSION_CACHE_SECONDS",
    "Client",
    "Outcome",
    "ScanProgram",
    "ScanResult",
    "ScanSession",
    "checkin_params",
    "checkin_scan",
    "checkout_scan",
    "class_managers",
    "leave_limit_check",
    "leave_limit_decide",
    "leave_request_cancel",
    "leave_request_create",
    "leave_request_decide",
    "pending_scan_peek",
    "pending_scan_store",
    "pending_scan_take",
    "proxy_evidence",
    "rate_warnings_check",
    "record_clear_flag",
    "record_snapshot",
    "records_mark",
    "scan_apply",
    "scan_session_cache_clear",
    "session_close_checkouts",
    "session_mark_absent",
    "session_names",
    "sessions_close_due",
]
