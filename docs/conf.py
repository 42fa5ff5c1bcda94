"""Sphinx configuration of the sknn documentation (scikit-learn style, built offline).

Build with ``python -m sphinx -W -b html docs docs/_build/html`` after
``pip install -e ".[docs]"``.
"""

import importlib.util
import os
import re
import sys

# Build from the checkout even when sknn is not installed.
sys.path.insert(0, os.path.abspath(".."))

import sknn  # noqa: E402

project = "sknn"
author = "the sknn developers"
copyright = "the sknn developers, BSD-3-Clause"
version = release = sknn.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
# numpydoc renders the docstrings as scikit-learn's documentation does; napoleon reads the
# same numpy format with fewer checks, for a machine where numpydoc is not installed.
if importlib.util.find_spec("numpydoc") is not None:
    extensions.append("numpydoc")
    numpydoc_show_class_members = False  # the autosummary pages list members already
    numpydoc_class_members_toctree = False
    numpydoc_xref_param_type = False
else:
    extensions.append("sphinx.ext.napoleon")
    napoleon_google_docstring = False
    napoleon_use_rtype = False

# No intersphinx: the build machines have no internet, and links to scikit-learn, NumPy
# and PyTorch would each be a network fetch. References to them render as plain text.

# The API page documents every object in place: autosummary only draws the tables, so a
# build writes nothing into the source tree.
autosummary_generate = False
# Estimators inherit fit/predict from sknn's base classes, which must be shown; the
# members of scikit-learn's own mixins are left out (their docstrings link to labels of
# scikit-learn's documentation, which is not part of this build).
_SKLEARN_BASES = (
    "BaseEstimator,ClassifierMixin,RegressorMixin,TransformerMixin,_MetadataRequester,"
    "_SetOutputMixin,BaseCrossValidator"
)
autodoc_default_options = {
    "members": True,
    "inherited-members": _SKLEARN_BASES,
    "exclude-members": ",".join(
        f"set_{method}_request"
        for method in (
            "fit",
            "partial_fit",
            "predict",
            "predict_proba",
            "score",
            "transform",
            "split",
            "inverse_transform",
        )
    ),
    "member-order": "groupwise",
}
autodoc_typehints = "none"  # the numpydoc "Parameters" section already types them

templates_path = []
exclude_patterns = ["_build", "generated/*.examples", "auto_examples/*.ipynb"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = f"sknn {release}"
html_theme_options = {
    "description": "scikit-learn-compatible neural networks on PyTorch",
    "fixed_sidebar": True,
}
html_static_path = []


# -- the examples gallery: sphinx-gallery runs every script of examples/ in its small
# setting (as the tests do) and renders its output and figures.
os.environ.setdefault("SKNN_EXAMPLE_SMALL", "1")
extensions.append("sphinx_gallery.gen_gallery")
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",  # run every example, not only plot_*.py
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "write_computation_times": False,
}


# numpydoc reads type lines as reST, where a bare ``name_`` is a hyperlink reference:
# "ndarray of shape (n_features_in_,)" would fail the build. scikit-learn quotes such
# names; quote the unquoted ones in shapes here.
_SHAPE_NAME = re.compile(r"(?<![`\w])([A-Za-z_]\w*_)(?=[,)])")


def _quote_shape_names(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        if "shape (" in line:
            lines[i] = _SHAPE_NAME.sub(r"`\1`", line)


def setup(app):
    app.connect("autodoc-process-docstring", _quote_shape_names)
