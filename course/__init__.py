"""Helpers shared by the course's notebooks: background servers and self-checking exercises.

Installed into the course's virtual environment by ``make setup`` (``pip install -e .``),
so ``import course`` works from every chapter folder.
"""

from course.environment import check_environment
from course.exercises import NOT_ANSWERED, check, check_equal, is_right
from course.http import raw_exchange, show, show_request
from course.servers import (
    BackgroundServer,
    free_port,
    on_jupyterhub,
    public_url,
    running_servers,
    serve_app,
    serve_asgi,
    serve_command,
    stop_all,
)
from course.testing import run_pytest

__all__ = [
    "NOT_ANSWERED",
    "BackgroundServer",
    "check",
    "check_environment",
    "check_equal",
    "free_port",
    "is_right",
    "on_jupyterhub",
    "public_url",
    "raw_exchange",
    "run_pytest",
    "running_servers",
    "serve_app",
    "serve_asgi",
    "serve_command",
    "show",
    "show_request",
    "stop_all",
]
