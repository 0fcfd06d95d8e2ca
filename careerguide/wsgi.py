"""
WSGI config for careerguide project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerguide.settings")

application = get_wsgi_application()

# The PostgreSQL backend bounds database waits while a request is served, which it learns from Django's request
# signals: load it now, before the first request starts (careerguide/database/base.py).
import careerguide.database.base  # noqa: E402, F401
