"""Cyclic-GC settings for the engine's heap: batch runs favour throughput, live front ends short pauses."""

from __future__ import annotations

import gc

# The engine keeps a large heap of long-lived, acyclic objects (frozen API objects shared by the store
# and informers): reference counting frees them, and CPython's default cyclic-GC cadence (a young
# collection every 700 allocations, full passes as the heap grows) spent about a third of a batch run
# re-scanning them. A larger young generation keeps the collector for what it is for.
BATCH_GEN0_THRESHOLD = 50_000
# Interactive: a collection scans ~0.5 µs per object, so 5,000 keeps a young pause near 2 ms and a
# middle-generation pass near 5-10 ms; whatever survives that is moved out of the collector's reach.
INTERACTIVE_THRESHOLDS = (5_000, 2, 10)

_interactive = False


def for_cluster() -> None:
    """Called by every Cluster: batch settings unless a live front end chose short pauses.

    Batch runs freeze what survives a middle-generation pass too: at 100,000 pods a full collection
    walked ~7 M tracked objects (~4.6 s each, twice a run) to find nothing, since the engine's objects
    are acyclic. A new Cluster first unfreezes everything, so the garbage of an earlier cluster in the
    same process (tests build hundreds) is collected by the next full pass as before.
    """
    if _interactive:
        return
    gc.unfreeze()
    threshold, *older = gc.get_threshold()
    if threshold < BATCH_GEN0_THRESHOLD:
        gc.set_threshold(BATCH_GEN0_THRESHOLD, *older)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def interactive() -> None:
    """Short, bounded pauses for a process that must answer keys: small young generations, and objects
    that survived a middle-generation pass are frozen (never scanned again; reference counting still
    frees them), so no full collection ever walks the whole cluster (hundreds of ms at 10k pods).

    The price: a reference cycle among frozen objects is never reclaimed. The engine's objects are
    acyclic JSON, so that is a few stray exception frames at most.
    """
    global _interactive
    if _interactive:
        return
    _interactive = True
    gc.set_threshold(*INTERACTIVE_THRESHOLDS)
    gc.freeze()
    gc.callbacks.append(_freeze_survivors)


def _freeze_survivors(phase: str, info: dict) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()
