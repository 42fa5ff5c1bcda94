"""``sknn doctor`` and ``sknn.show_versions``: the report, the checks, the exit status.

The CUDA half of the report runs here on stubbed CUDA facts (a T4, an H100) and the
captured-step check on the CPU stand-in for CUDA graphs; the checks themselves run on a
GPU in ``benchmarks/gpu/run.sh quick``.
"""

import re
import types

import pytest
import torch

import sknn
import sknn.doctor as doctor
import sknn.engine.data
from sknn.__main__ import main

# Non-regression: 'cpu fp16' was skipped as "a CUDA path", though precision='fp16' trains
# every estimator on the CPU.
CPU_PATHS = ("cpu", "cpu streamed", "cpu bf16", "cpu fp16")


def test_show_versions_prints_the_versions_and_the_devices(capsys):
    sknn.show_versions()
    out = capsys.readouterr().out
    for section in ("System:", "Dependencies:", "Optional:", "Devices:"):
        assert section in out
    assert re.search(r"^ +sknn: %s$" % re.escape(sknn.__version__), out, re.M)
    assert re.search(r"^ +torch: %s \(CUDA " % re.escape(torch.__version__), out, re.M)
    for package in ("scikit-learn", "skorch", "numpy", "pandas", "skops"):
        assert re.search(r"^ +%s: \S" % package, out, re.M)
    assert re.search(r"^ +cpu: .*torch threads", out, re.M)
    if not torch.cuda.is_available():
        assert re.search(r"^ +cuda: no CUDA device", out, re.M)


def _stub_gpu(monkeypatch, name, capability, total_gib=16.0):
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    props = types.SimpleNamespace(name=name, major=capability[0], minor=capability[1])
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: props)
    monkeypatch.setattr(
        torch.cuda, "mem_get_info", lambda device=None: (total_gib * 2**29, total_gib * 2**30)
    )


def test_the_report_of_a_gpu_without_native_bfloat16(monkeypatch):
    _stub_gpu(monkeypatch, "Tesla T4", (7, 5), total_gib=15.0)
    gpu = doctor.devices()[1]
    assert gpu["name"] == "cuda:0" and gpu["bf16"] is False
    assert gpu["description"] == (
        "Tesla T4, 15.0 GiB (7.5 free), compute capability 7.5, bfloat16 not native: "
        "precision='auto' uses float32"
    )
    bf16 = next(path for path in doctor.PATHS if path.name == "cuda bf16")
    assert bf16.unavailable({}) == (
        "Tesla T4 computes in bfloat16 only by emulation (compute capability 7.5, native from 8.0)"
    )


def test_the_report_of_a_gpu_with_native_bfloat16(monkeypatch):
    _stub_gpu(monkeypatch, "NVIDIA H100 80GB HBM3", (9, 0), total_gib=79.2)
    gpu = doctor.devices()[1]
    assert gpu["bf16"] is True and gpu["compute_capability"] == (9, 0)
    assert gpu["description"].endswith("compute capability 9.0, bfloat16 native")
    bf16 = next(path for path in doctor.PATHS if path.name == "cuda bf16")
    assert bf16.unavailable({}) is None
    # Recurrent networks need cuDNN 9.13 for bfloat16 on CUDA.
    sequence = doctor.MODELS["Sequence"]()[0]
    monkeypatch.setattr(torch.backends.cudnn, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: 90100)
    assert bf16.not_for(sequence) == "cuDNN 9.1.0 has no bfloat16 recurrent kernels (from 9.13.0)"
    monkeypatch.setattr(torch.backends.cudnn, "version", lambda: 91300)
    assert bf16.not_for(sequence) is None


def _rows(out):
    """The table's rows as (path, model, result, rest of the line)."""
    rows = []
    models = "|".join([*doctor.MODELS, "all"])
    for line in out.splitlines():
        match = re.match(r"^(\S+(?: \S+)?) +(%s) +(\w+) *(.*)$" % models, line)
        if match:
            rows.append(match.groups())
    return rows


def test_doctor_passes_on_this_machine_and_says_why_it_skips(capsys):
    status = main(["doctor"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "Dependencies:" in out and "Training paths:" in out
    rows = _rows(out)
    results = {(path, model): (result, rest) for path, model, result, rest in rows}
    for path in CPU_PATHS:
        for model in doctor.MODELS:
            result, rest = results[(path, model)]
            assert result == "passed", (path, model, rest)
    assert results[("cpu", "MLP")][1].startswith("0.0e+00    0 (bitwise)")
    assert results[("cpu compile", "all")] == (
        "skipped",
        "run 'sknn doctor --compile' to check it (it compiles each model)",
    )
    for path, model, result, rest in rows:
        assert result in ("passed", "skipped"), (path, model, rest)
        if result == "skipped":
            assert rest, "a skipped check says why"
    if not torch.cuda.is_available():
        for path in ("cuda", "cuda captured", "cuda streamed", "cuda bf16", "cuda fp16"):
            assert results[(path, "all")] == (
                "skipped",
                "no CUDA device (this torch is a CPU-only build)"
                if torch.version.cuda is None
                else "no CUDA device",
            )
    n_passed = sum(row[2] == "passed" for row in rows)
    n_skipped = sum(row[2] == "skipped" for row in rows)
    summary = r"^%d passed, 0 failed, %d skipped in \d+ s$" % (n_passed, n_skipped)
    assert re.search(summary, out, re.M)


def test_doctor_exits_with_status_1_when_a_check_fails(capsys, monkeypatch):
    """A fault injected into streaming: every streamed batch's inputs come out 1% off."""
    read = sknn.engine.data._read

    def one_percent_off(arrays, rows):
        tensors = read(arrays, rows)
        return [tensors[0] * 1.01] + tensors[1:]

    monkeypatch.setattr(sknn.engine.data, "_read", one_percent_off)
    status = main(["doctor", "--models", "MLP"])
    out = capsys.readouterr().out
    assert status == 1
    results = {(p, m): (r, rest) for p, m, r, rest in _rows(out)}
    result, rest = results[("cpu streamed", "MLP")]
    assert result == "failed" and rest.endswith("off by more than the tolerance")
    deviation, tolerance = rest.split()[:2]
    assert float(deviation) > float(tolerance) == doctor.FLOAT32_TOLERANCE
    assert results[("cpu", "MLP")][0] == "passed"
    assert re.search(r"^\d+ passed, 1 failed, \d+ skipped", out, re.M)


def test_an_error_in_a_path_is_its_failure_not_the_doctors(monkeypatch):
    from sknn.engine.net import TrainingNet

    autocast = TrainingNet._autocast

    def no_bf16(self, cache_enabled=True):
        if self.precision == "bf16":
            raise RuntimeError("no bfloat16 kernel for this operation\nsecond line")
        return autocast(self, cache_enabled)

    monkeypatch.setattr(TrainingNet, "_autocast", no_bf16)
    paths = [p for p in doctor.PATHS if p.name in ("cpu", "cpu bf16")]
    results = doctor.run_checks(models=["MLP"], paths=paths)
    assert [(r.path, r.status) for r in results] == [("cpu", "passed"), ("cpu bf16", "failed")]
    assert results[1].note == "RuntimeError: no bfloat16 kernel for this operation"


# -- the captured path, on the CPU stand-in for CUDA graphs ------------------------------------

CAPTURED_ON_CPU = doctor.TrainingPath(
    "cpu captured",
    dict(doctor.PATHS[0].params, cuda_graph=True),
    "parameters",
    not_for=doctor._capture_not_for,
)


def test_the_captured_check_passes_a_faithful_capture(graphs_on_cpu):
    graphs = graphs_on_cpu()
    results = doctor.run_checks(paths=[CAPTURED_ON_CPU])
    statuses = {r.model: (r.status, r.note) for r in results}
    assert statuses["MLP"] == ("passed", "captured; its first replays matched the eager step")
    assert statuses["ConvNet"][0] == "passed"
    reason = "SequenceClassifier's recurrent batches vary in shape"
    assert statuses["Sequence"] == ("skipped", reason)
    assert statuses["Transformer"] == ("skipped", "TransformerClassifier's batches vary in shape")
    assert graphs.recorded == 2
    assert all(r.deviation == 0 for r in results if r.status == "passed")


@pytest.mark.parametrize("fault", ["stale-batch", "record"])
def test_the_captured_check_fails_a_capture_that_fell_back(fault, graphs_on_cpu):
    graphs_on_cpu(fault)
    (result,) = doctor.run_checks(models=["MLP"], paths=[CAPTURED_ON_CPU])
    assert result.status == "failed"
    assert result.note.startswith("The training step captured in a CUDA graph was given up")


def test_checks_leave_the_threads_and_tf32_settings_as_they_were():
    threads = torch.get_num_threads()
    tf32 = torch.backends.cudnn.allow_tf32
    doctor.run_checks(models=["MLP"], paths=doctor.PATHS[:1])
    assert torch.get_num_threads() == threads and torch.backends.cudnn.allow_tf32 == tf32


def test_a_model_named_twice_is_checked_once():
    # Non-regression: '--models MLP MLP' ran and reported every check twice.
    paths = [p for p in doctor.PATHS if p.name in ("cpu", "cpu fp16")]
    results = doctor.run_checks(models=["MLP", "Sequence", "MLP"], paths=paths)
    assert [(r.path, r.model) for r in results] == [
        ("cpu", "MLP"),
        ("cpu", "Sequence"),
        ("cpu fp16", "MLP"),
        ("cpu fp16", "Sequence"),
    ]
    assert all(r.status == "passed" for r in results), results


def test_unknown_models_are_refused():
    with pytest.raises(ValueError, match=r"unknown model\(s\) \['GAN'\]"):
        doctor.run_checks(models=["GAN"])


def test_a_single_model_name_is_one_name_not_its_letters(monkeypatch):
    # Non-regression: run_checks(models="MLP") refused the models 'L', 'M' and 'P'.
    checked = []

    def record(path, name, references):
        checked.append(name)
        return doctor.CheckResult(path.name, name, "passed")

    monkeypatch.setattr(doctor, "_check", record)
    doctor.run_checks(models="MLP", paths=[p for p in doctor.PATHS if p.name == "cpu"])
    assert checked == ["MLP"]
    with pytest.raises(ValueError, match=r"unknown model\(s\) \['GAN'\]"):
        doctor.run_checks(models="GAN")
