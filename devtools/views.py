from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def ping(request):
    """The bare view the check-in benchmark compares against: same middleware, session auth,
    one response line and nothing else."""
    return HttpResponse(f"ok {request.user.pk}", content_type="text/plain")
