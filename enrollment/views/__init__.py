"""Enrollment pages, one module per workflow. Thin: parse, call one service or selector, render
or redirect; expected failures (DomainError) come back as messages on the page the user came
from.

- base: what every page shares (the MANAGE gate of a program's pages, messages, pagination);
- trainee: open programs, my enrolments, apply, withdraw;
- review: a program's roster and review queue, the decisions on it;
- quotas: quotas and policy (host), a liaison's quota pages (nominate, substitute);
- notices: the nomination notice, receipts, reminders, substitution requests after the deadline;
- reconciliation: named against present (核对);
- imports: roster import pages (the workflow: enrollment.imports);
- groups: discussion groups;
- exports: roster Excel and PDF.
"""
