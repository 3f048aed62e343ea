"""Evaluation's files (reflection collections, scoring results, certificates) are downloadable
only while their owner may still see what they were made from."""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from evaluation import selectors

# generated file kind -> (params key, the selector that checks access to that object)
_CHECKS = {
    "evaluation.reflection_collection": ("assignment", selectors.assignment_get),
    "evaluation.scoring_export": ("round", selectors.round_get),
    "evaluation.certificate": ("certificate", selectors.certificate_get),
}


def can_access(*, user, generated_file) -> bool:
    key, get = _CHECKS.get(generated_file.kind, (None, None))
    if get is None:
        return False
    try:
        get(user=user, pk=(generated_file.params or {}).get(key))
    except (Http404, PermissionDenied):
        return False
    return True
