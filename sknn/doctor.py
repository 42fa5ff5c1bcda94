"""What this machine has, and whether each of sknn's training paths works on it.

:func:`show_versions` prints the versions of sknn, Python and its dependencies and the
devices torch sees, as scikit-learn's ``show_versions`` and torch's ``collect_env`` do.
:func:`run_checks` trains four tiny models (an MLP, a convolutional, a recurrent and a
transformer network) along every training path the machine offers and compares each fit
with the CPU float32 fit of the same model: the behind-the-scenes choices sknn makes on a
GPU (the step captured in a CUDA graph, bfloat16 autocast, streaming through pinned
memory) are checked where they run, not assumed. The ``sknn doctor`` command prints both.

How a path is compared with the reference (the same model and seed, trained on the CPU in
float32 without any fast path):

- float32 paths: the change of the parameters over the fit, ``||(w - w0) - (w_ref - w0)||
  / ||w_ref - w0||``, within :data:`FLOAT32_TOLERANCE`. Adam runs with ``epsilon=1e-3`` so
  that its update stays proportional to tiny gradients: with torch's 1e-8 it turns the
  rounding noise of a gradient that is zero in exact arithmetic (an attention key's bias)
  into full-size steps, and the comparison would measure that. TF32 is turned off for the
  checks: they compare arithmetic, not rounding modes.
- bfloat16 and float16 paths: the training loss of each epoch, relative to the
  reference's, within :data:`HALF_TOLERANCE` (their parameters drift from float32's by as
  much as a 5% change of learning rate would move them).
- the CPU path itself: fitted twice, the parameters must be bitwise equal.
"""

import contextlib
import dataclasses
import importlib.metadata
import math
import platform
import sys
import time
import warnings

import numpy as np
import torch
from skorch.callbacks import Callback

from sknn._device import has_native_bf16
from sknn.base import FallbackWarning

#: Dependencies whose versions :func:`show_versions` prints, then the optional extras.
DEPENDENCIES = (
    "numpy",
    "scipy",
    "scikit-learn",
    "torch",
    "skorch",
    "pandas",
    "safetensors",
    "xxhash",
    "threadpoolctl",
)
EXTRAS = ("skops", "matplotlib", "tqdm", "gensim", "sphinx")

#: How far a float32 path's parameter change may be from the reference's (relative norm).
#: Measured on the CPU over the four models and four orders of their rows: rounding-sized
#: noise (inputs perturbed by 1e-5) moves it by 1e-5 at most; a learning rate 5% off by
#: 4e-2 to 1e-1.
FLOAT32_TOLERANCE = 5e-3

#: How far a bfloat16 or float16 path's loss per epoch may be from the reference's
#: (relative). Measured likewise: bfloat16 on the CPU 5e-3 at most; a fit that does not
#: learn (learning rate 1e-4) is off by 1e-1 to 2.
HALF_TOLERANCE = 5e-2

#: Rows of each model's training data.
N_ROWS = 128

#: Settings every check shares: 128 rows in batches of 16 for 3 epochs (24 steps), in a
#: fixed order (the CPU and a GPU draw different permutations), no early stopping.
COMMON_PARAMS = dict(
    batch_size=16,
    max_iter=3,
    shuffle=False,
    random_state=0,
    learning_rate_init=1e-2,
    epsilon=1e-3,
    early_stopping=False,
)


# -- versions and devices ---------------------------------------------------------------


def _version(package):
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def versions() -> dict:
    """The versions of Python, sknn, its dependencies and its optional extras.

    Returns
    -------
    dict
        ``{"System": {...}, "Dependencies": {...}, "Optional": {...}}``, each a dict of
        name to text; a package that is not installed reads ``"not installed"``.
    """
    from sknn import __version__

    system = {
        "python": sys.version.replace("\n", " "),
        "executable": sys.executable,
        "machine": platform.platform(),
    }
    dependencies = {"sknn": __version__}
    for package in DEPENDENCIES:
        dependencies[package] = _version(package) or "not installed"
    cuda = torch.version.cuda or "none"
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    dependencies["torch"] += f" (CUDA {cuda}, cuDNN {_cudnn_text(cudnn)})"
    if torch.version.hip:
        dependencies["torch"] += f" (ROCm {torch.version.hip})"
    optional = {package: _version(package) or "not installed" for package in EXTRAS}
    return {"System": system, "Dependencies": dependencies, "Optional": optional}


def _cudnn_text(version):
    if not version:
        return "none"
    # 91300 is 9.13.0; versions before 9 were written 8902 for 8.9.2.
    if version >= 90000:
        return f"{version // 10000}.{version // 100 % 100}.{version % 100}"
    return f"{version // 1000}.{version // 100 % 10}.{version % 100}"


def devices() -> list:
    """The devices torch can train on, with what decides sknn's choices on each.

    Returns
    -------
    list of dict
        One per device: ``name`` ('cpu', 'cuda:0', ...) and ``description``; CUDA devices
        also ``compute_capability``, ``total_memory``, ``free_memory`` (bytes) and
        ``bf16`` (native bfloat16: what ``precision='auto'`` needs).
    """
    found = [
        {
            "name": "cpu",
            "description": "%s, %d torch threads, %s"
            % (
                platform.machine() or "unknown processor",
                torch.get_num_threads(),
                torch.backends.cpu.get_cpu_capability(),
            ),
        }
    ]
    if not torch.cuda.is_available():
        return found
    for index in range(torch.cuda.device_count()):
        device = torch.device("cuda", index)
        props = torch.cuda.get_device_properties(device)
        free, total = torch.cuda.mem_get_info(device)
        capability = (props.major, props.minor)
        bf16 = has_native_bf16(device)
        found.append(
            {
                "name": str(device),
                "description": "%s, %.1f GiB (%.1f free), compute capability %d.%d, "
                "bfloat16 %s"
                % (
                    props.name,
                    total / 2**30,
                    free / 2**30,
                    *capability,
                    "native" if bf16 else "not native: precision='auto' uses float32",
                ),
                "compute_capability": capability,
                "total_memory": total,
                "free_memory": free,
                "bf16": bf16,
            }
        )
    return found


def _no_cuda_reason():
    if torch.version.cuda is None and not torch.version.hip:
        return "no CUDA device (this torch is a CPU-only build)"
    if not torch.cuda.is_available():
        return "no CUDA device"
    return None


def show_versions() -> None:
    """Print the versions of sknn and its dependencies and the devices torch sees.

    For bug reports, as scikit-learn's ``show_versions``. Nothing is trained; ``sknn
    doctor`` prints the same and then checks every training path.

    Examples
    --------
    >>> import sknn
    >>> sknn.show_versions()  # doctest: +ELLIPSIS
    System:
    ...
    """
    for section, entries in versions().items():
        print(f"{section}:")
        width = max(len(name) for name in entries)
        for name, value in entries.items():
            print(f"  {name:>{width}}: {value}")
        print()
    print("Devices:")
    found = devices()
    width = max(len(d["name"]) for d in found)
    for device in found:
        print(f"  {device['name']:>{width}}: {device['description']}")
    reason = _no_cuda_reason()
    if reason:
        print(f"  {'cuda':>{width}}: {reason}")


# -- the models and the paths ---------------------------------------------------------------


def _mlp():
    from sknn.estimators.mlp import MLPClassifier

    rng = np.random.RandomState(0)
    X = rng.standard_normal((N_ROWS, 10)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    return MLPClassifier(hidden_layer_sizes=(32, 32)), X, y


def _convnet():
    from sknn.estimators.convnet import ConvNetClassifier

    rng = np.random.RandomState(1)
    X = rng.standard_normal((N_ROWS, 1, 8, 8)).astype(np.float32)
    y = rng.randint(0, 2, N_ROWS)
    X[y == 1, :, :, :4] += 1.0  # class 1 is brighter on the left
    # Average pooling: max pooling's choices flip under bfloat16 rounding, and the fits
    # then drift apart by more than a broken path would.
    model = ConvNetClassifier(channels=(4, 8), pooling="avg", global_pool=True, dense_sizes=())
    return model, X, y


def _sequence():
    from sknn.estimators.sequence import SequenceClassifier

    rng = np.random.RandomState(2)
    X = rng.standard_normal((N_ROWS, 6, 3)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    model = SequenceClassifier(
        cell="lstm", hidden_size=16, normalize=None, learning_rate="constant"
    )
    return model, X, y


def _transformer():
    from sknn.estimators.transformer import TransformerClassifier

    rng = np.random.RandomState(3)
    X = rng.randint(1, 30, size=(N_ROWS, 10))
    y = (X == 7).any(axis=1).astype(int)
    model = TransformerClassifier(d_model=16, n_heads=2, n_layers=1, dropout=0.0)
    return model.set_params(token_dropout=0.0), X, y


#: The models every path trains: name -> () -> (unfitted estimator, X, y).
MODELS = {"MLP": _mlp, "ConvNet": _convnet, "Sequence": _sequence, "Transformer": _transformer}


@dataclasses.dataclass(frozen=True)
class TrainingPath:
    """One way sknn can train, and how its fits are judged.

    Parameters
    ----------
    name : str
        What the table shows ('cuda captured').
    params : dict
        The estimator parameters that select the path (device included).
    compare : {'repeat', 'parameters', 'losses'}
        'repeat': fit twice, the parameters must be bitwise equal; 'parameters' and
        'losses': against the CPU float32 reference (see the module's documentation).
    unavailable : callable or None
        ``unavailable(options) -> str or None``: why this machine (or these options) does
        not offer the path.
    not_for : callable or None
        ``not_for(estimator) -> str or None``: why the path does not apply to a model.
    """

    name: str
    params: dict
    compare: str
    unavailable: object = None
    not_for: object = None

    @property
    def tolerance(self):
        return {"repeat": 0.0, "parameters": FLOAT32_TOLERANCE, "losses": HALF_TOLERANCE}[
            self.compare
        ]


def _needs_cuda(options):
    return _no_cuda_reason()


def _needs_compile_option(options):
    if not options.get("compile"):
        return "run 'sknn doctor --compile' to check it (it compiles each model)"
    return None


def _needs_cuda_and_compile(options):
    return _needs_cuda(options) or _needs_compile_option(options)


def _needs_native_bf16(options):
    reason = _needs_cuda(options)
    if reason:
        return reason
    if not has_native_bf16(torch.device("cuda")):
        major, minor = torch.cuda.get_device_capability()
        return (
            "%s computes in bfloat16 only by emulation (compute capability %d.%d, native "
            "from 8.0)" % (torch.cuda.get_device_name(), major, minor)
        )
    return None


def _bf16_on_cuda_not_for(estimator):
    from sknn.estimators.sequence import CUDNN_BF16_RECURRENT, SequenceClassifier

    if isinstance(estimator, SequenceClassifier) and not estimator._bf16_helps(None):
        version = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
        return "cuDNN %s has no bfloat16 recurrent kernels (from %s)" % (
            _cudnn_text(version),
            _cudnn_text(CUDNN_BF16_RECURRENT),
        )
    return None


def _capture_not_for(estimator):
    return estimator._graph_blocker()


_FLOAT32 = dict(precision="float32", cuda_graph=False, stream_data=False, compile=False)

#: The reference every path is compared with: the CPU in float32, no fast path.
REFERENCE_PARAMS = dict(_FLOAT32, device="cpu")

#: Every path, in the order of the table.
PATHS = (
    TrainingPath("cpu", REFERENCE_PARAMS, "repeat"),
    TrainingPath("cpu streamed", dict(_FLOAT32, device="cpu", stream_data=True), "parameters"),
    TrainingPath("cpu bf16", dict(_FLOAT32, device="cpu", precision="bf16"), "losses"),
    # precision='fp16' trains on the CPU too (a recurrent layer oneDNN cannot run in
    # float16 computes in float32): a path the user can take, so one to check.
    TrainingPath("cpu fp16", dict(_FLOAT32, device="cpu", precision="fp16"), "losses"),
    TrainingPath(
        "cpu compile",
        dict(_FLOAT32, device="cpu", compile=True),
        "parameters",
        _needs_compile_option,
    ),
    TrainingPath("cuda", dict(_FLOAT32, device="cuda"), "parameters", _needs_cuda),
    TrainingPath(
        "cuda captured",
        dict(_FLOAT32, device="cuda", cuda_graph=True),
        "parameters",
        _needs_cuda,
        _capture_not_for,
    ),
    TrainingPath(
        "cuda streamed", dict(_FLOAT32, device="cuda", stream_data=True), "parameters", _needs_cuda
    ),
    TrainingPath(
        # cuda_graph='auto': the MLP and the ConvNet train captured in bfloat16.
        "cuda bf16",
        dict(_FLOAT32, device="cuda", precision="bf16", cuda_graph="auto"),
        "losses",
        _needs_native_bf16,
        _bf16_on_cuda_not_for,
    ),
    TrainingPath(
        "cuda fp16", dict(_FLOAT32, device="cuda", precision="fp16"), "losses", _needs_cuda
    ),
    TrainingPath(
        "cuda compile",
        dict(_FLOAT32, device="cuda", compile=True),
        "parameters",
        _needs_cuda_and_compile,
    ),
)


# -- running the checks ------------------------------------------------------------------


@dataclasses.dataclass
class CheckResult:
    """The outcome of one path on one model ('all' when a whole path was skipped)."""

    path: str
    model: str
    status: str  # 'passed', 'failed' or 'skipped'
    deviation: float = math.nan
    tolerance: float = math.nan
    seconds: float = math.nan
    note: str = ""


class _FirstWeights(Callback):
    """Keeps a CPU copy of the trainable parameters as training begins."""

    def on_train_begin(self, net, **kwargs):
        self.weights = _trainable(net.module_)


def _trainable(module):
    return {
        name: p.detach().to("cpu", torch.float64, copy=True)
        for name, p in module.named_parameters()
        if p.requires_grad
    }


@dataclasses.dataclass
class _Fit:
    before: dict
    after: dict
    losses: list
    seconds: float
    captured: bool


def _fit(make, params):
    estimator, X, y = make()
    first = _FirstWeights()
    estimator.set_params(**COMMON_PARAMS, **params, callbacks=[first])
    device = torch.device(params["device"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        estimator.fit(X, y)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
    fallbacks = [str(w.message) for w in caught if issubclass(w.category, FallbackWarning)]
    if fallbacks:
        raise _CheckFailed(fallbacks[0])
    return _Fit(
        first.weights,
        _trainable(estimator.module_),
        list(estimator.loss_curve_),
        seconds,
        bool(estimator.cuda_graph_),
    )


class _CheckFailed(Exception):
    pass


def _change(fit):
    return torch.cat([(fit.after[k] - fit.before[k]).ravel() for k in fit.before])


def _deviation(path, fit, reference):
    """How far ``fit`` is from ``reference``, in the measure of ``path.compare``."""
    if path.compare == "losses":
        losses, ref = np.asarray(fit.losses), np.asarray(reference.losses)
        if not np.isfinite(losses).all():
            raise _CheckFailed("the loss was not finite: %s" % fit.losses)
        return float(np.max(np.abs(losses - ref) / np.abs(ref)))
    for name, value in fit.before.items():
        if not torch.equal(value, reference.before[name]):
            raise _CheckFailed("it started from other initial weights (%s)" % name)
    if path.compare == "repeat":
        return max(float((fit.after[k] - reference.after[k]).abs().max()) for k in fit.after)
    change, ref = _change(fit), _change(reference)
    if not torch.isfinite(change).all():
        raise _CheckFailed("the parameters are not finite")
    return float(torch.linalg.vector_norm(change - ref) / torch.linalg.vector_norm(ref))


@contextlib.contextmanager
def _check_settings():
    """One CPU thread (tiny models only pay for thread wake-ups) and no TF32; restored."""
    threads = torch.get_num_threads()
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notes on the TF32 flags' newer API
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32


def run_checks(*, compile: bool = False, models=None, paths=PATHS, report=None) -> list:
    """Train each model along each path and compare it with the CPU float32 reference.

    Parameters
    ----------
    compile : bool, default=False
        Also check ``compile=True`` (compiles each model: minutes on a CPU).
    models : str, list of str or None
        Names in :data:`MODELS` to check, each once (a string is one name; None: all
        four).
    paths : sequence of TrainingPath, default=PATHS
        The paths to check.
    report : callable or None
        Called with each :class:`CheckResult` as soon as it is known.

    Returns
    -------
    list of CheckResult
    """
    options = {"compile": compile}
    # Each model once, in the order given ('--models MLP MLP' checks the MLP once).
    if isinstance(models, str):
        models = [models]  # one name, not its letters
    names = list(dict.fromkeys(MODELS if models is None else models))
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        raise ValueError("unknown model(s) %s; choose from %s" % (unknown, list(MODELS)))
    report = report or (lambda result: None)
    results = []

    def add(result):
        results.append(result)
        report(result)

    with _check_settings():
        references = {}
        for path in paths:
            reason = path.unavailable(options) if path.unavailable else None
            if reason:
                add(CheckResult(path.name, "all", "skipped", note=reason))
                continue
            for name in names:
                add(_check(path, name, references))
    return results


def _check(path, name, references):
    make = MODELS[name]
    reason = path.not_for(make()[0]) if path.not_for else None
    if reason:
        return CheckResult(path.name, name, "skipped", note=reason)
    result = CheckResult(path.name, name, "failed", tolerance=path.tolerance)
    try:
        if name not in references:
            references[name] = _fit(make, REFERENCE_PARAMS)
        fit = _fit(make, path.params)
        result.seconds = fit.seconds
        if path.params.get("cuda_graph") is True and not fit.captured:
            raise _CheckFailed("the training step was not captured")
        result.deviation = _deviation(path, fit, references[name])
    except _CheckFailed as failure:
        result.note = str(failure)
        return result
    except Exception as error:  # noqa: BLE001 - any error is this path's failure
        result.note = "%s: %s" % (type(error).__name__, str(error).splitlines()[0])
        return result
    if not result.deviation <= result.tolerance:
        result.note = "off by more than the tolerance"
        return result
    result.status = "passed"
    if path.params.get("cuda_graph") is True:
        result.note = "captured; its first replays matched the eager step"
    return result


# -- the report ----------------------------------------------------------------------------

_HEADER = ("path", "model", "result", "deviation", "tolerance", "time")
_LINE = "%-14s %-12s %-8s %-10s %-12s %-8s"


def format_result(result: "CheckResult") -> str:
    """One line of the ``sknn doctor`` table."""
    if result.status == "skipped":
        return "%-14s %-12s %-8s %s" % (result.path, result.model, "skipped", result.note)
    cells = (
        result.path,
        result.model,
        result.status,
        "-" if math.isnan(result.deviation) else "%.1e" % result.deviation,
        "%.0e" % result.tolerance if result.tolerance else "0 (bitwise)",
        "-" if math.isnan(result.seconds) else "%.2f s" % result.seconds,
    )
    return (_LINE % cells + "  " + result.note).rstrip()


def doctor(*, compile: bool = False, models=None, paths=PATHS, stream=None) -> list:
    """Print the versions and devices, then check every training path; return the results.

    What the ``sknn doctor`` command runs; see :func:`run_checks` for the parameters.
    ``stream`` is where the report goes (default: standard output).
    """
    stream = stream or sys.stdout
    with contextlib.redirect_stdout(stream):
        show_versions()
    steps = COMMON_PARAMS["max_iter"] * N_ROWS // COMMON_PARAMS["batch_size"]
    print(
        "\nTraining paths: each model trains %d steps from the same weights, compared with "
        "the CPU float32 fit\n(float32: the change of the parameters; bf16, fp16: the loss "
        "of each epoch).\n" % steps,
        file=stream,
    )
    print((_LINE % _HEADER).rstrip(), file=stream)
    start = time.perf_counter()
    results = run_checks(
        compile=compile,
        models=models,
        paths=paths,
        report=lambda result: print(format_result(result), file=stream, flush=True),
    )
    counts = {s: sum(r.status == s for r in results) for s in ("passed", "failed", "skipped")}
    print(file=stream)
    print(
        "%(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts
        + " in %.0f s" % (time.perf_counter() - start),
        file=stream,
    )
    return results
