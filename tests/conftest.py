"""Test-session settings."""

import pytest
import torch

# The tests fit tiny networks; torch's intra-op thread pool only adds synchronisation
# overhead there, and on a loaded 2-core CI machine that overhead dominates.
torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    # Tests marked gpu are the GPU subset (`pytest -m gpu`, run by benchmarks/gpu/run.sh
    # quick); without a CUDA device they skip, saying so.
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA device")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


# -- captured steps on the CPU ---------------------------------------------------------


class GraphsOnCpu:
    """Stands in for CUDA graphs (``graph.GRAPHS``) on the CPU.

    Recording runs nothing; each replay runs the recorded step eagerly, so a faithful
    replay is the eager step. ``fault`` injects what can go wrong on a GPU: 'record' fails
    while recording, 'stale-batch' replays the step on other rows than the index buffer
    holds (a graph reading a stale input buffer).
    """

    def __init__(self, fault=None):
        self.fault = fault
        self.recorded = 0
        self.replays = 0

    def can_capture(self, device):
        return True

    def warm_up(self, step):
        return step._body(step.index)

    def record(self, step):
        self.recorded += 1
        if self.fault == "record":
            raise RuntimeError("operation not permitted when stream is capturing")
        return _ReplayOnCpu(self, step)


class _ReplayOnCpu:
    def __init__(self, graphs, step):
        self.graphs = graphs
        self.step = step

    def replay(self):
        self.graphs.replays += 1
        step = self.step
        if self.graphs.fault != "stale-batch":
            return step._body(step.index)
        rows = step.index.clone()
        step.index.copy_((rows + 1) % len(step.data))
        try:
            return step._body(step.index)
        finally:
            step.index.copy_(rows)


@pytest.fixture
def graphs_on_cpu(monkeypatch):
    """``graphs_on_cpu(fault=None)`` captures training steps on the CPU with
    :class:`GraphsOnCpu` from then on in the test."""
    import sknn.engine.graph as graph

    monkeypatch.setattr(graph, "STATIC_STEP_ON_CPU", True)

    def install(fault=None):
        graphs = GraphsOnCpu(fault)
        monkeypatch.setattr(graph, "GRAPHS", graphs)
        return graphs

    return install
