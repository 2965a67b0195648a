"""The yardstick of `make bench`: the smallest Flask app that serves the fraud model. Never deploy it.

    gunicorn --config 04_flask_app/gunicorn.conf.py --pythonpath tools bare_app:app    (FRAUD_MODEL_PATH: the model)

It loads the same artefact as the fraud app (checked the same way, by chapter 03's ``artefact.py``) and
answers ``POST /api/v1/predict`` with the model's probability, the way most tutorials serve a pickled
scikit-learn pipeline: one pandas DataFrame of the request's JSON with the schema's columns, then
``predict_proba``. Everything else is left out on purpose: no validation, no error handling, no database, no
web form. It trusts its input completely, which is why it must never face the internet: a bad body gets a
500 and an HTML page.

Served with the same gunicorn settings as the app, it is the yardstick of the tutorial pattern: the app must
be faster than this, for all the checks it adds (chapter 07 says how).
"""

import os
import warnings

import pandas as pd
from flask import Flask, request

from artefact import load_artefact

pipeline, metadata = load_artefact(os.environ.get("FRAUD_MODEL_PATH", "models/fraud_model.pkl"))
COLUMNS = [feature["name"] for feature in metadata["features"]]
# The course's pipeline reads its columns by position (chapter 03): a DataFrame with the schema's columns, in
# the schema's order, gives it the same numbers as the app's array. scikit-learn says, at each call, that it
# was fitted without column names; the tutorial pattern does not care, and neither do its answers.
warnings.filterwarnings("ignore", message="X has feature names, but .* was fitted without feature names")

app = Flask(__name__)


@app.post("/api/v1/predict")
def predict():
    frame = pd.DataFrame([request.get_json()], columns=COLUMNS)
    return {"fraud_probability": float(pipeline.predict_proba(frame)[0, 1])}
