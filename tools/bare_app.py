"""The yardstick of `make bench`: the smallest Flask app that serves the fraud model. Never deploy it.

    gunicorn --config 04_flask_app/gunicorn.conf.py --pythonpath tools bare_app:app    (FRAUD_MODEL_PATH: the model)

It loads the same artefact as the fraud app (checked the same way, by chapter 03's ``artefact.py``) and
answers ``POST /api/v1/predict`` with the model's probability, calling the model exactly as the app does:
one DataFrame with the schema's columns, then ``predict_proba``. Everything else is left out on purpose:
no validation, no error handling, no database, no web form. It trusts its input completely, which is why
it must never face the internet: a bad body gets a 500 and an HTML page.

Served with the same gunicorn settings as the app, the difference between the two is the app's own cost:
validating the input, JSON in and out, its error handlers and blueprint.
"""

import os

import pandas as pd
from flask import Flask, request

from artefact import load_artefact

pipeline, metadata = load_artefact(os.environ.get("FRAUD_MODEL_PATH", "models/fraud_model.pkl"))
COLUMNS = [feature["name"] for feature in metadata["features"]]

app = Flask(__name__)


@app.post("/api/v1/predict")
def predict():
    frame = pd.DataFrame([request.get_json()], columns=COLUMNS)
    return {"fraud_probability": float(pipeline.predict_proba(frame)[0, 1])}
