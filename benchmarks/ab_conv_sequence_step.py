"""A/B of the convolutional sequence encoder's training step between two source trees.

Loads ``sknn/modules/convolutional_sequence.py`` from each tree (``--a`` and ``--b``,
default: this tree for both) and times a forward and backward pass of the same
``ConvSequenceModule`` (same weights) over the same batches, the two interleaved, for:

- ``ragged``: 16 series of 100 to 1,344 steps (log-uniform, as PLAID's), 3 features;
- ``plaid``: 16 series with the lengths of 16 of PLAID's training series drawn at random
  (100 to 1,344 steps, median 300), 3 features (needs sktime's data files);
- ``fixed``: 16 series of 427 steps (OSULeaf's length), 1 feature;
- ``long``: 8 series of 1,460 steps (ACSF1's), 1 feature.

The encoder is the default SequenceClassifier's FCN, channels (32, 64, 32). Prints the
median over ``--repeats`` rounds (A first in odd rounds, B first in even ones) of each
tree's time for ten batches and their ratio, after checking that both give the same
outputs. A tree against itself gives ratios within about 3 % of 1 on a quiet 2-core
machine.

Usage::

    git worktree add /tmp/before <commit>
    python benchmarks/ab_conv_sequence_step.py --a /tmp/before --b . --threads 2
"""

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import torch

SHAPES = {
    "ragged": (16, 1344, 3),
    "plaid": (16, 1344, 3),
    "fixed": (16, 427, 1),
    "long": (8, 1460, 1),
}


def load(tree, name):
    path = Path(tree) / "sknn" / "modules" / "convolutional_sequence.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def batches(kind, n_batches=10, seed=0):
    n, steps, features = SHAPES[kind]
    generator = torch.Generator().manual_seed(seed)
    out = []
    if kind == "plaid":
        from sknn.datasets import load_ucr

        plaid = torch.tensor([len(x) for x in load_ucr("PLAID")[0]])
    for _ in range(n_batches):
        if kind == "plaid":
            lengths = plaid[torch.randperm(len(plaid), generator=generator)[:n]]
        elif kind == "ragged":
            lengths = torch.exp(torch.empty(n).uniform_(4.6, 7.2, generator=generator))
            lengths = lengths.long().clamp(100, steps)
        else:
            lengths = torch.full((n,), steps)
        longest = int(lengths.max())
        x = torch.randn(n, longest, features, generator=generator)
        out.append((x * (torch.arange(longest) < lengths[:, None]).unsqueeze(2), lengths))
    return out


def one_pass(module, data):
    start = time.perf_counter()
    for x, lengths in data:
        module(x, lengths).square().mean().backward()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", default=".", help="source tree A (the reference)")
    parser.add_argument("--b", default=".", help="source tree B")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--kinds", nargs="+", choices=list(SHAPES), default=list(SHAPES))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    trees = {"A": load(args.a, "tree_a"), "B": load(args.b, "tree_b")}
    print(f"A = {args.a}, B = {args.b}; {args.threads} thread(s), torch {torch.__version__}")
    print("| batches | A s (10 batches) | B s | B / A |")
    print("|---|---|---|---|")
    for kind in args.kinds:
        features = SHAPES[kind][2]
        modules = {}
        for name, tree in trees.items():
            torch.manual_seed(0)
            modules[name] = tree.ConvSequenceModule(features, 6, channels=(32, 64, 32)).train()
        modules["B"].load_state_dict(modules["A"].state_dict())
        data = batches(kind)
        x, lengths = data[0]
        torch.testing.assert_close(modules["B"](x, lengths), modules["A"](x, lengths))
        times = {name: [] for name in modules}
        for module in modules.values():
            one_pass(module, data)  # warm-up
        for round_ in range(args.repeats):
            # Alternating which goes first: the second of a pair runs on a warmer cache.
            for name in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
                times[name].append(one_pass(modules[name], data))
        a, b = (statistics.median(times[name]) for name in ("A", "B"))
        print(f"| {kind} | {a:.3f} | {b:.3f} | {b / a:.3f} |", flush=True)


if __name__ == "__main__":
    main()
