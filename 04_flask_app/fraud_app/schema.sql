-- Stored predictions: one row per scored transaction that a client chose to keep.
-- Created at start-up if missing; running this twice changes nothing.
CREATE TABLE IF NOT EXISTS predictions (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    inputs            TEXT    NOT NULL,            -- the validated transaction, as JSON
    fraud_probability REAL    NOT NULL,
    is_fraud          INTEGER NOT NULL,            -- the model's decision at `threshold`
    threshold         REAL    NOT NULL,
    model_version     TEXT    NOT NULL,
    label             INTEGER,                     -- the confirmed outcome; NULL until known
    created_at        TEXT    NOT NULL,            -- UTC, ISO 8601
    updated_at        TEXT    NOT NULL
);
