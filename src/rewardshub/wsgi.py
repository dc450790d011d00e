import gc
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
# What is loaded by now lives as long as the worker: frozen (gc.freeze), it is
# out of the cyclic collector's sight, so a full collection scans only what
# requests made. Over scenario 7's two runs the workers' full collections took
# 3.9 s, pausing a request up to 81 ms; with the freeze, 0.5 s (BENCHMARKS.md,
# "A batch's Python, and the collector's").
gc.collect()
gc.freeze()
