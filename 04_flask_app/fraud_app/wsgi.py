"""The WSGI entry point that production servers import: ``fraud_app.wsgi:app``.

    gunicorn --config 04_flask_app/gunicorn.conf.py      (Linux, macOS: `make app`)
    waitress-serve --port 8000 fraud_app.wsgi:app         (Windows too)

A setting with a bad value (FRAUD_MAX_BATCH=lots), a model that is
missing or fails its checks, or a database that cannot be used (a bad
DATABASE_URL, a server that does not answer, a wrong password), stops the server at start-up
with one clear line naming the file or the database and the reason (exit status 1), instead
of a traceback or a server that answers every request with an error.
"""

import sys

from artefact import ArtefactError
from fraud_app import create_app
from fraud_app.config import ConfigError
from fraud_app.db import DatabaseError

try:
    app = create_app()
except (ConfigError, ArtefactError, DatabaseError) as error:
    sys.exit(f"fraud_app cannot start: {error}")
