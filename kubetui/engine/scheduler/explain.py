"""Explain records: what every filter and score plugin said about every node, per scheduling attempt."""

from __future__ import annotations

import json
from collections import deque

import numpy as np

from ..clock import rfc3339

SIM = "scheduler-simulator/"
PREFILTER_STATUS = SIM + "prefilter-result-status"
PREFILTER_RESULT = SIM + "prefilter-result"
FILTER_RESULT = SIM + "filter-result"
POSTFILTER_RESULT = SIM + "postfilter-result"
PRESCORE_RESULT = SIM + "prescore-result"
SCORE_RESULT = SIM + "score-result"
FINALSCORE_RESULT = SIM + "finalscore-result"
RESERVE_RESULT = SIM + "reserve-result"
PERMIT_RESULT = SIM + "permit-result"
PERMIT_TIMEOUT_RESULT = SIM + "permit-result-timeout"
PREBIND_RESULT = SIM + "prebind-result"
BIND_RESULT = SIM + "bind-result"
SELECTED_NODE = SIM + "selected-node"
RESULT_HISTORY = SIM + "result-history"
PASSED = "passed"
SUCCESS = "success"
PREEMPTION_VICTIM = "preemption victim"  # the simulator's mark for the node a preemption nominated


class Detail:
    """Per-node results of one attempt, kept compactly: node names come from the snapshot's name
    tuple, filter outcomes are codes into a small status table, scores are arrays."""

    __slots__ = ("names", "evaluated", "codes", "statuses", "ran", "prefilter", "prefilter_names", "feasible",
                 "score_plugins", "raw", "final", "prescore", "postfilter")

    def __init__(self, names: tuple[str, ...], evaluated: np.ndarray, codes: np.ndarray, statuses: list,
                 ran: list[str], prefilter: dict[str, str], prefilter_names: set[str] | None):
        self.names = names
        self.evaluated = evaluated      # positions into `names`, in evaluation order
        self.codes = codes              # filter outcome per evaluated node (0 = passed)
        self.statuses = statuses        # code -> (plugin, reasons, resolvable)
        self.ran = ran
        self.prefilter = prefilter
        self.prefilter_names = prefilter_names
        self.feasible: np.ndarray = np.zeros(0, np.int64)   # positions into `names` of scored nodes
        self.score_plugins: list[str] = []
        self.raw: list[np.ndarray] = []         # per score plugin, over the feasible nodes
        self.final: list[np.ndarray] = []
        self.prescore: dict[str, str] = {}
        self.postfilter: dict[str, dict[str, str]] = {}

    def filter_result(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        names, statuses, ran = self.names, self.statuses, self.ran
        everything = {p: PASSED for p in ran}
        cache: dict[int, dict[str, str]] = {0: everything}
        for pos, code in zip(self.evaluated.tolist(), self.codes.tolist()):
            row = cache.get(code)
            if row is None:
                plugin, reasons, _ = statuses[code]
                row = {}
                for p in ran:
                    if p == plugin:
                        row[p] = ", ".join(reasons)
                        break
                    row[p] = PASSED
                cache[code] = row
            out[names[pos]] = dict(row)
        return out

    def scores(self, per_plugin: list[np.ndarray]) -> dict[str, dict[str, int]]:
        if not per_plugin:
            return {}
        columns = [arr.tolist() for arr in per_plugin]
        return {self.names[p]: {plugin: col[j] for plugin, col in zip(self.score_plugins, columns)}
                for j, p in enumerate(self.feasible.tolist())}

    def totals(self) -> dict[str, int]:
        if not self.final:
            return {}
        return {self.names[p]: s for p, s in zip(self.feasible.tolist(), sum(self.final).tolist())}


class Attempt:
    """One scheduling attempt of a pod: the summary always, per-node detail while recent."""

    __slots__ = ("number", "time", "result", "node", "message", "num_nodes", "percentage", "to_find", "start",
                 "evaluated", "feasible", "nominated", "detail")

    def __init__(self, number: int, time: float):
        self.number = number
        self.time = time
        self.result = ""
        self.node: str | None = None
        self.message = ""
        self.num_nodes = 0
        self.percentage = 0
        self.to_find = 0
        self.start = 0
        self.evaluated = 0
        self.feasible = 0
        self.nominated: str | None = None
        self.detail: Detail | None = None

    def summary(self) -> dict:
        out = {"attempt": self.number, "time": rfc3339(self.time), "result": self.result,
               "selectedNode": self.node, "message": self.message,
               "nodes": {"total": self.num_nodes, "percentageOfNodesToScore": self.percentage,
                         "numFeasibleNodesToFind": self.to_find, "startIndex": self.start,
                         "evaluated": self.evaluated, "feasible": self.feasible}}
        if self.nominated:
            out["nominatedNode"] = self.nominated
        return out

    def to_dict(self) -> dict:
        out = self.summary()
        d = self.detail
        out["detailed"] = d is not None
        if d is None:
            return out
        out["prefilter"] = dict(d.prefilter)
        out["prefilterResult"] = {"NodeAffinity": sorted(d.prefilter_names)} if d.prefilter_names is not None else {}
        out["filter"] = d.filter_result()
        out["postfilter"] = {k: dict(v) for k, v in d.postfilter.items()}
        out["prescore"] = dict(d.prescore)
        out["score"] = d.scores(d.raw)
        out["finalScore"] = d.scores(d.final)
        out["totalScore"] = d.totals()
        return out


class PodRecord:
    __slots__ = ("uid", "attempts")

    def __init__(self, uid: str | None):
        self.uid = uid
        self.attempts: list[Attempt] = []


class ExplainStore:
    """Explain records of live pods: the last `history` attempts of each pod, with per-node detail
    only for the most recent `detail_limit` attempts overall (memory stays bounded)."""

    def __init__(self, history: int = 5, detail_limit: int = 256):
        self.history = history
        self.detail_limit = detail_limit
        self._records: dict[str, PodRecord] = {}
        self._detailed: deque[Attempt] = deque(maxlen=detail_limit)

    def add(self, key: str, uid: str | None, attempt: Attempt) -> None:
        rec = self._records.get(key)
        if rec is None or rec.uid != uid:
            rec = self._records[key] = PodRecord(uid)
        rec.attempts.append(attempt)
        if len(rec.attempts) > self.history:
            del rec.attempts[0]
        if attempt.detail is not None:
            if not self.detail_limit:
                attempt.detail = None
                return
            if len(self._detailed) == self._detailed.maxlen:
                self._detailed[0].detail = None
            self._detailed.append(attempt)

    def remove(self, key: str) -> None:
        self._records.pop(key, None)

    def latest(self, key: str) -> Attempt | None:
        rec = self._records.get(key)
        return rec.attempts[-1] if rec and rec.attempts else None

    def record(self, key: str) -> dict | None:
        rec = self._records.get(key)
        if rec is None or not rec.attempts:
            return None
        out = {"pod": key, "uid": rec.uid, **rec.attempts[-1].to_dict()}
        out["history"] = [a.to_dict() for a in rec.attempts]
        return out

    def __len__(self) -> int:
        return len(self._records)


def _dump(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _annotations_of(attempt: dict) -> dict[str, str]:
    selected = attempt.get("selectedNode") or ""
    scheduled = attempt.get("result") == "Scheduled"
    stringify = lambda table: {n: {p: str(v) for p, v in row.items()} for n, row in table.items()}  # noqa: E731
    return {
        PREFILTER_STATUS: _dump(attempt.get("prefilter", {})),
        PREFILTER_RESULT: _dump(attempt.get("prefilterResult", {})),
        FILTER_RESULT: _dump(attempt.get("filter", {})),
        POSTFILTER_RESULT: _dump(attempt.get("postfilter", {})),
        PRESCORE_RESULT: _dump(attempt.get("prescore", {})),
        SCORE_RESULT: _dump(stringify(attempt.get("score", {}))),
        FINALSCORE_RESULT: _dump(stringify(attempt.get("finalScore", {}))),
        RESERVE_RESULT: _dump({"VolumeBinding": SUCCESS} if scheduled else {}),
        PERMIT_RESULT: _dump({}),
        PERMIT_TIMEOUT_RESULT: _dump({}),
        PREBIND_RESULT: _dump({"VolumeBinding": SUCCESS} if scheduled else {}),
        BIND_RESULT: _dump({"DefaultBinder": SUCCESS} if scheduled else {}),
        SELECTED_NODE: selected,
    }


def explain_annotations(record: dict) -> dict[str, str]:
    """The kube-scheduler-simulator annotations for an explain record (`Scheduler.explain`): every
    value a JSON document in a string, plus `result-history` with one entry per recorded attempt."""
    out = _annotations_of(record)
    out[RESULT_HISTORY] = _dump([_annotations_of(a) for a in record.get("history") or [record]])
    return out
