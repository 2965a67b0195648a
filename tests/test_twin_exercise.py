"""Chapter 04's exercise 5 (a FastAPI endpoint answering the decision only): its borderline sample is borderline."""

import exercises_04
from fraud_app.model import FraudModel


def test_the_borderline_transaction_lies_between_the_threshold_and_one_half(model_path):
    """So that a threshold typed as 0.5 lets it through while the model's own threshold flags it (WRONG_5_TYPED)."""
    model = FraudModel.load(str(model_path))
    [outcome] = model.score([exercises_04.BORDERLINE])
    assert model.threshold < outcome["fraud_probability"] < 0.5
    assert outcome["is_fraud"] is True
