"""The small app of exercise 4: you write its Procfile and its config vars, the check runs them.

It needs what every deployed web app needs from its platform: a command that serves it on the
port in $PORT, reachable by the platform's router, and its settings from the environment. Here the
one setting is a secret, APP_TOKEN; without it the app refuses to start, with one clear line.
"""

import os

from flask import Flask


def create_app() -> Flask:
    if not os.environ.get("APP_TOKEN"):
        raise RuntimeError("tiny_app cannot start: the config var APP_TOKEN is not set")
    app = Flask(__name__)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    return app


app = create_app()  # what gunicorn serves: tiny_app:app
