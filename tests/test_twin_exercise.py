"""Chapter 04's exercise 5 (a FastAPI endpoint answering the decision only): its borderline sample is borderline."""

import exercises_04
from fraud_app.model import FraudModel


def test_the_borderline_transaction_lies_between_the_threshold_and_one_half(model_path):
    """So that a threshold typed as 0.5 lets it through while the model's own threshold flags it (WRONG_5_TYPED)."""
    model = FraudModel.load(str(model_path))
    [outcome] = model.score([exercises_04.BORDERLINE])
    assert model.threshold < outcome["fraud_probability"] < 0.5
    assert outcome["is_fraud"] is True


def test_chapter_04_hints_name_a_string_code_and_a_refused_bare_list(capsys):
    exercises_04.check_1("401")
    [response_2] = [answer for answer in exercises_04.SAMPLES[exercises_04.check_2]["wrong"]
                    if getattr(answer, "status_code", None) == 400 and isinstance(answer.get_json(), dict)
                    and exercises_04._sent(answer)[2] == [exercises_04.ORDINARY, exercises_04.RISKY,
                                                          exercises_04.ORDINARY]]
    exercises_04.check_2(response_2)
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Exercise")]
    string_hint, list_hint = printed[-2:]
    assert "an int, 401, not" in string_hint
    assert "refused that batch with 400" in list_hint
    assert '{"transactions": [' in list_hint


def test_chapter_04_exercise_5_says_to_turn_the_pydantic_object_into_a_dict(model_path, capsys):
    exercises_04.check_5(exercises_04.WRONG_5_OBJECT, str(model_path))
    printed = capsys.readouterr().out
    assert "pydantic's model_dump" in printed
    assert "TypeError" not in printed
