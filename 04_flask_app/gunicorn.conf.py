"""gunicorn's settings for the fraud app; every value can be overridden from the environment.

PORT              where to listen (Heroku and most platforms set it)   default 8000
HOST              the interface: 127.0.0.1 on a laptop, 0.0.0.0 in a container
WEB_CONCURRENCY   worker processes (Heroku sets it from the dyno size)  default 2
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
wsgi_app = "fraud_app.wsgi:app"

# One thread per worker for the model's numeric libraries (OpenMP, BLAS): requests run in
# parallel in the workers already, and more threads than cores make every request slower.
# Set before the app is loaded, because these libraries read it once, when they start.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

# Load the app (and verify and unpickle the model) once in the master process, before the
# workers are forked: a model that fails its checks stops the server at start-up instead of
# making every worker crash and restart, and the workers share the loaded model's memory.
preload_app = True

# Logs go to stdout/stderr, where platforms such as Heroku and Docker collect them.
accesslog = "-"
errorlog = "-"

# gunicorn's control socket lives under the home folder by default; the app does not use it,
# and several servers (tests, a notebook) running at once would fight over it.
control_socket_disable = True
