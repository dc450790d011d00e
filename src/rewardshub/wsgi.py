import os

from django.core.wsgi import get_wsgi_application

from rewardshub.files import restrict_umask

# A server started without `rewardshub serve` creates private files too.
restrict_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rewardshub.settings")
application = get_wsgi_application()
