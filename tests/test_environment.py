"""course.check_environment() compares the installed packages with requirements.txt."""

from course import environment


def test_reads_pins_and_ignores_comments(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# header\nFlask==3.1.3\n    # via -r requirements.in\nnumpy==2.4.6  # why\n")
    assert environment.pinned(requirements) == {"flask": "3.1.3", "numpy": "2.4.6"}


def test_this_environment_matches_the_pins(capsys):
    assert environment.differences(environment.pinned()) == []
    environment.check_environment()
    assert "Every pinned package is installed at its pinned version." in capsys.readouterr().out


def test_reports_missing_and_different_packages(tmp_path, capsys):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("flask==0.0.1\nno-such-package-here==1.0\n")
    environment.check_environment(requirements)
    out = capsys.readouterr().out
    assert "flask: 3.1.3 installed, the course pins 0.0.1" in out
    assert "no-such-package-here: not installed (the course pins 1.0)" in out
