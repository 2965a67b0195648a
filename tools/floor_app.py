"""The floor of `make bench`: what serving this model can cost at the least, in Flask. Never deploy it.

    gunicorn --config 04_flask_app/gunicorn.conf.py --pythonpath tools floor_app:app    (FRAUD_MODEL_PATH: the model)

It loads the same artefact as the fraud app (checked by chapter 03's ``artefact.py``), prepares one transaction
once, at start-up, with the pipeline's own preparation step, and then answers every ``POST /api/v1/predict``
by parsing the JSON body and calling the fitted classifier on that prepared row, with the app's settings for
that call (one thread for the numeric libraries, scikit-learn's ``assume_finite``). The body is read and parsed
(so HTTP and JSON cost what they cost), then ignored: no validation, no preparation of the request's own
values, no threshold, no log line of the app's own, no error handling. It answers the same number for every
request, which is why it is a yardstick and not an app: no honest server can do less per request with this
model and this web framework.

Served with the same gunicorn settings as the app, the difference between the two is everything the app does
for a request beyond HTTP, JSON and the classifier: validation, preparing the row, its logging and headers.
"""

import os

import sklearn
from flask import Flask, request
from threadpoolctl import ThreadpoolController

from artefact import load_artefact, to_array

pipeline, metadata = load_artefact(os.environ.get("FRAUD_MODEL_PATH", "models/fraud_model.pkl"))
prepare, classify = pipeline[:-1], pipeline[-1]
DEFAULTS = {feature["name"]: feature["default"] for feature in metadata["features"]}
PREPARED = prepare.transform(to_array([DEFAULTS], metadata["features"])).astype(float)  # once, at start-up

CONTROLLER = ThreadpoolController()  # after unpickling: scikit-learn's OpenMP is loaded
app = Flask(__name__)


@app.post("/api/v1/predict")
def predict():
    request.get_json()  # parsed, then ignored: the row was prepared at start-up
    # The app's own settings for the model's call (one thread, no scan for NaN): without them the floor would
    # pay for threads waiting for each other on shared cores, and be no floor.
    with sklearn.config_context(assume_finite=True), CONTROLLER.limit(limits=1):
        return {"fraud_probability": float(classify.predict_proba(PREPARED)[0, 1])}
