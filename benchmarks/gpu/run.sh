#!/usr/bin/env bash
# Run one phase of the GPU checks on a GPU machine, from the repository root, with a bundle
# made by make_bundle.sh. Logs and fixtures go to $OUT (default ./gpu-out).
#
#   quick     the one short command (under 8 minutes on one GPU; needs the bundle's core
#             wheels only: make_bundle.sh .bundle core): the GPU subset of the tests
#             (pytest -m gpu), the GPU-fitted fixtures of tests/fixtures/, 'sknn doctor',
#             and bench_mlp.py on 1M rows at batch 256 and 4096 (captured, eager, raw loop,
#             skorch, scikit-learn). Each step has a time cap and the whole phase a deadline
#             (QUICK_SECONDS, default 450 s, the wheel install included; the tests' own cap
#             is QUICK_TEST_SECONDS, default 180 s); a step that would start past it is
#             skipped. Exits non-zero if a step failed or was cut short.
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
#
# SKNN_GPU_DRY_RUN=1 runs the quick phase's plumbing on a machine without a GPU: no wheels
# installed (the current environment is used), the benchmark on the CPU on 20k rows, the
# fixture step skipped; the tests' GPU subset then skips, saying why.
set -uo pipefail
phase=${1:?phase: quick, tests, mlp, convnet, text, word2vec or sequence}
bundle=${2:-.bundle}
out=${OUT:-gpu-out}
dry=${SKNN_GPU_DRY_RUN:-0}
mkdir -p "$out"
if [ "$dry" = 1 ]; then
    [ "$phase" = quick ] || { echo "SKNN_GPU_DRY_RUN is for the quick phase" >&2; exit 2; }
    echo "dry run: no wheels installed, no CUDA needed"
    export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
else
    wheels=("$bundle"/wheels/core/*.whl)
    if [ "$phase" = word2vec ]; then wheels+=("$bundle"/wheels/gensim/*.whl); fi
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/sknn-site "${wheels[@]}" || exit 1
    export PYTHONPATH=$PWD:/tmp/sknn-site PYTHONUNBUFFERED=1
    python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" || exit 1
fi
data=$bundle/data

# step NAME CAP COMMAND...: run COMMAND for at most CAP seconds and no later than the
# deadline, its output shown and kept in $out/NAME.log; one line per step in quick.log.
failed=0
step() {
    local name=$1 cap=$2 left start rc
    shift 2
    left=$((deadline - SECONDS))
    if ((left < cap)); then cap=$left; fi
    if ((cap < 15)); then
        echo "== $name: skipped, the phase's deadline is reached" | tee -a "$out/quick.log"
        failed=1
        return
    fi
    echo "== $name (at most ${cap}s): $*"
    start=$SECONDS
    timeout --kill-after=10 "$cap" "$@" 2>&1 | tee "$out/$name.log"
    rc=${PIPESTATUS[0]}
    if ((rc == 124 || rc == 137)); then
        echo "== $name: stopped at its ${cap}s cap" | tee -a "$out/quick.log"
        failed=1
    else
        echo "== $name: exit $rc in $((SECONDS - start))s" | tee -a "$out/quick.log"
        if ((rc != 0)); then failed=1; fi
    fi
}

case $phase in
quick)
    deadline=${QUICK_SECONDS:-450}
    : >"$out/quick.log"
    # The test modules holding GPU tests; -m gpu selects those tests.
    mapfile -t gpu_tests < <(grep -l -e "pytest.mark.gpu" tests/test_*.py)
    step tests "${QUICK_TEST_SECONDS:-180}" python3 -m pytest "${gpu_tests[@]}" -m gpu -q -p no:cacheprovider -rs
    if [ "$dry" = 1 ]; then
        echo "== fixture: skipped in a dry run (needs CUDA)" | tee -a "$out/quick.log"
    else
        mkdir -p "$out/fixtures"
        step fixture 60 bash -c 'python3 tests/fixtures/make_cuda_fixture.py &&
            cp tests/fixtures/mlp_fitted_on_cuda* "$0"' "$out/fixtures"
        rm -f "$out/fixture.log"  # its lines are in quick.log's output; $OUT keeps 8 files
    fi
    step doctor 150 python3 -m sknn doctor
    if [ "$dry" = 1 ]; then
        bench=(--device cpu --n-samples 20000 --epochs 1)
    else
        bench=(--device cuda --n-samples 1000000)
    fi
    step mlp 240 python3 benchmarks/bench_mlp.py "${bench[@]}" --batch-sizes 256 4096 \
        --only raw sknn sknn-eager skorch sklearn
    echo "== quick phase: $SECONDS s in all"
    cat "$out/quick.log"
    exit $failed
    ;;
tests)
    python3 -m pytest tests sknn -q -p no:cacheprovider -x -rs 2>&1 | tee "$out/tests.log"
    python3 tests/fixtures/make_cuda_fixture.py && cp tests/fixtures/mlp_fitted_on_cuda* "$out"/
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
