"""sknn._sizes: networks too large for the machine are refused before anything is allocated,
with a ValueError naming the parameters that set their size (#16)."""

import pytest
import torch

import sknn._sizes as sizes
from sknn._sizes import check_memory, check_module_size, memory_limit, module_size


def test_memory_limit_is_the_machine_s_memory():
    limit = memory_limit()
    if limit is None:
        pytest.skip("this platform does not report its physical memory (no os.sysconf)")
    assert 2**26 < limit < 2**60
    assert memory_limit("cpu") == limit


def test_module_size_counts_parameters_and_buffers_without_allocating():
    def build():
        module = torch.nn.BatchNorm1d(10**6)  # would be 16 MB of parameters and buffers
        assert module.weight.is_meta
        return module

    assert module_size(build) == (2 * 10**6, 2 * 10**6 + 1)


def test_module_size_of_an_overflowing_module_is_an_overflow_error():
    with pytest.raises(OverflowError):
        module_size(lambda: torch.nn.Linear(10**12, 10**12))


def test_module_size_is_unknown_when_the_module_reads_values_while_building():
    class ReadsValues(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = float(torch.ones(1).sum().item())

    assert module_size(ReadsValues) is None
    check_module_size(ReadsValues, {}, owner="ReadsValues")  # nothing known, nothing refused


def test_a_module_that_cannot_be_built_has_no_size():
    # The real build that follows the check raises the module's own error.
    from sknn.modules.recurrent import RecurrentModule

    assert module_size(lambda: RecurrentModule(3, 1, cell="bogus")) is None
    with pytest.raises(ValueError, match="cell"):
        RecurrentModule(3, 1, cell="bogus")


def test_check_module_size_names_the_parameters(monkeypatch):
    # 10**6 bytes hold 250_000 float32 values; Linear(n, n) has n * (n + 1) parameters,
    # and training holds their gradients too: n = 353 needs 249_924 values, n = 354 251_340.
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: 10**6)
    check_module_size(lambda: torch.nn.Linear(353, 353), {"width": 353}, owner="Net")
    with pytest.raises(ValueError, match=r"^Net: the network would hold at least 2.51e\+05") as e:
        check_module_size(lambda: torch.nn.Linear(354, 354), {"width": 354}, owner="Net")
    assert "(1.01 MB), more than the 1 MB of memory of this machine" in str(e.value)
    assert str(e.value).endswith("Lower the sizes that set it: width=354.")
    with pytest.raises(ValueError, match="overflow a 64-bit count.*width=1000000000000"):
        check_module_size(lambda: torch.nn.Linear(10**12, 10**12), {"width": 10**12}, owner="N")


def test_check_memory_on_a_gpu_names_the_device(monkeypatch):
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: 1000)
    check_memory(250, {"n": 250}, owner="Net", device="cuda:1")
    with pytest.raises(ValueError, match="memory of cuda:1. Lower the sizes that set it: n=251"):
        check_memory(251, {"n": 251}, owner="Net", device="cuda:1")


def test_nothing_is_refused_when_the_memory_is_unknown(monkeypatch):
    monkeypatch.setattr(sizes, "memory_limit", lambda device=None: None)
    check_memory(10**30, {"n": 10**30}, owner="Net")
