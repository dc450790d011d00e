import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from rewardshub.files import restrict_umask

# A server started without `rewardshub serve` creates private files too.
restrict_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rewardshub.settings")
application = get_wsgi_application()
# Import the URLconf, and with it every view, now: Django does it on a
# process's first request, which then took about 0.4 s. A gunicorn worker
# loads this module before it takes a connection, so no request waits for it.
url_patterns = get_resolver().url_patterns
