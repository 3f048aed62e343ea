"""Evaluation's files (reflection collections, scoring results, certificates) are downloadable
only while their owner may still see what they were made from (the hook core.selectors asks
before serving a generated file)."""

from django.core.exceptions import PermissionDenied

from core.files import vouches
from evaluation import selectors


def _valid_certificate(*, user, pk):
    """A certificate PDF made before the certificate was revoked is not handed out after."""
    cert = selectors.certificate_get(user=user, pk=pk)
    if cert.is_revoked:
        raise PermissionDenied
    return cert


# generated file kind -> (params key, the selector that checks access to that object)
_CHECKS = {
    "evaluation.reflection_collection": ("assignment", selectors.assignment_get),
    "evaluation.scoring_export": ("round", selectors.round_get),
    "evaluation.certificate": ("certificate", _valid_certificate),
}


def can_access(*, user, generated_file) -> bool:
    key, get = _CHECKS.get(generated_file.kind, (None, None))
    if get is None:
        return False
    return vouches(get, user=user, pk=(generated_file.params or {}).get(key))
