"""Shared test setup: each test starts with the whole heap visible to the cyclic GC."""

import gc

import pytest


@pytest.fixture(autouse=True)
def _unfrozen_heap():
    """Batch clusters freeze what survives GC passes (engine/gcpolicy.py). Frozen objects are invisible to
    gc.get_referrers, which Hypothesis uses to check its own PRNG registration, so it warned spuriously."""
    gc.unfreeze()
    yield
