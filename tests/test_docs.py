"""The Sphinx documentation builds without a single warning, and says what the tests
find."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent

NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def test_readme_and_guide_count_the_expected_failures_of_sklearns_mlp_suite():
    # Non-regression: the README said "all pass but six" where seven are expected to fail.
    spec = importlib.util.spec_from_file_location(
        "sklearn_mlp_suite", ROOT / "tests" / "test_sklearn_mlp_suite.py"
    )
    suite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(suite)
    count = NUMBER_WORDS[len(suite.EXPECTED_FAILURES)]
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    guide = (ROOT / "docs" / "user_guide" / "mlp.rst").read_text(encoding="utf-8")
    guide = " ".join(guide.split())
    assert re.findall(r"all pass but (\w+)", readme) == [count]
    assert re.findall(r"Every test passes but (\w+)", guide) == [count]


@pytest.mark.skipif(
    importlib.util.find_spec("sphinx") is None,
    reason="sphinx is not installed: pip install -e '.[docs]'",
)
def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(tmp_path / "html"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    html = tmp_path / "html"
    api = (html / "api.html").read_text(encoding="utf-8")
    assert "sknn.MLPClassifier" in api and "predict_proba" in api
    gallery = (html / "auto_examples" / "index.html").read_text(encoding="utf-8")
    for script in (ROOT / "examples").glob("*.py"):
        page = html / "auto_examples" / f"{script.stem}.html"
        assert page.exists() and f"{script.stem}.html" in gallery
    # every plotting example rendered at least one figure
    for script in (ROOT / "examples").glob("plot_*.py"):
        assert list((html / "_images").glob(f"sphx_glr_{script.stem}_*.png")), script.name
    assert (html / "user_guide" / "mlp.html").exists()
    assert not (ROOT / "docs" / "generated").exists()  # nothing written into the sources
