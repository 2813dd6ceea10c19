"""Shared fixtures. Torch is the oracle where installed; tests that need it take the
`torch` fixture (skipped without torch), so the torch-free tests still run."""
import numpy as np
import pytest


@pytest.fixture(scope="session")
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch


@pytest.fixture
def rng():
    """A freshly seeded numpy Generator for building test data."""
    return np.random.default_rng(0)
