#!/usr/bin/env bash
# Run one phase of the GPU checks on a GPU machine, from the repository root, with a bundle
# made by make_bundle.sh. Each phase fits in a few minutes; logs and fixtures go to $OUT
# (default ./gpu-out).
#
#   tests     the whole test suite (device='auto' tests then run on CUDA, and the CUDA-only
#             tests run), then the GPU pickle fixture of tests/fixtures/
#   mlp       bench_mlp.py on 1M rows (captured, eager, streamed, raw, skorch, sklearn) and
#             bench_predict.py
#   convnet   bench_convnet.py on Fashion-MNIST
#   text      bench_text.py, 10-fold Rotten Tomatoes; TEXT_MODELS=tfidf,scratch (then
#             TEXT_MODELS=tfidf,w2v,recurrent) splits it across calls if the whole run
#             does not fit one call's time limit (40 neural fits; not yet timed on a GPU)
#   word2vec  bench_word2vec.py against gensim on all cores (needs wheels/gensim)
#   sequence  bench_sequence.py (UCR data from sktime, if installed)
set -uo pipefail
phase=${1:?phase: tests, mlp, convnet, text, word2vec or sequence}
bundle=${2:-.bundle}
out=${OUT:-gpu-out}
mkdir -p "$out"
wheels=("$bundle"/wheels/core/*.whl)
if [ "$phase" = word2vec ]; then wheels+=("$bundle"/wheels/gensim/*.whl); fi
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/sknn-site "${wheels[@]}" || exit 1
export PYTHONPATH=$PWD:/tmp/sknn-site PYTHONUNBUFFERED=1
python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())"
data=$bundle/data
case $phase in
tests)
    python3 -m pytest tests sknn -q -p no:cacheprovider -x -rs 2>&1 | tee "$out/tests.log"
    python3 tests/fixtures/make_cuda_fixture.py && cp tests/fixtures/*cuda* "$out"/
    ;;
mlp)
    python3 benchmarks/bench_mlp.py --device cuda --n-samples 1000000 2>&1 | tee "$out/mlp.log"
    python3 benchmarks/bench_predict.py --device cuda 2>&1 | tee "$out/predict.log"
    ;;
convnet)
    python3 benchmarks/bench_convnet.py --data-dir "$data/fashion-mnist" 2>&1 \
        | tee "$out/convnet.log"
    ;;
text)
    models=${TEXT_MODELS:-tfidf,scratch,w2v,recurrent}
    python3 benchmarks/bench_text.py --device cuda --data "$data/rotten_tomatoes_corpus_full.csv.bz2" \
        --models "$models" 2>&1 | tee "$out/text-${models//,/-}.log"
    ;;
word2vec)
    python3 benchmarks/bench_word2vec.py --device cuda --threads "$(nproc)" \
        --brown "$data/brown" --wordsim "$data/wordsim353.tsv" 2>&1 | tee "$out/word2vec.log"
    ;;
sequence)
    python3 benchmarks/bench_sequence.py --device cuda 2>&1 | tee "$out/sequence.log"
    ;;
*)
    echo "unknown phase: $phase" >&2
    exit 2
    ;;
esac
