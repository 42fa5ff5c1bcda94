"""Collection settings shared by the test suite and the doctests of ``sknn/``."""

import importlib.util

import pytest
from _pytest.doctest import DoctestItem


def pytest_collection_modifyitems(config, items):
    # The plotting examples need the optional ``plot`` extra; without it they skip
    # (saying why) instead of failing on the import.
    if importlib.util.find_spec("matplotlib") is not None:
        return
    skip = pytest.mark.skip(reason="matplotlib is not installed: pip install -e '.[plot]'")
    for item in items:
        if isinstance(item, DoctestItem) and any(
            "matplotlib" in example.source for example in item.dtest.examples
        ):
            item.add_marker(skip)
