"""Scheduler explain (key `s`): what every filter and score plugin said about every node for one pod."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Footer, Static

from ...engine.api.errors import ApiError
from .live import LiveScreen

PASSED = "passed"


def plugin_order(table: dict[str, dict]) -> list[str]:
    """Plugins in the order the scheduler ran them (first appearance across nodes)."""
    seen: dict[str, None] = {}
    for row in table.values():
        for plugin in row:
            seen.setdefault(plugin, None)
    return list(seen)


def summary(record: dict, pod: dict | None, failed_message: str | None) -> Content:
    """Who, when, which result; for a pod that did not fit, why."""
    nodes = record.get("nodes") or {}
    parts: list = [("Pod ", "$text-muted"), (record.get("pod", ""), "bold"),
                   f"   attempt {record.get('attempt')} at {record.get('time')}   "]
    if record.get("result") == "Scheduled":
        parts += [("Scheduled", "bold $text-success"), " on ", (record.get("selectedNode") or "", "bold")]
    else:
        parts.append((record.get("result") or "?", "bold $text-error"))
        if record.get("nominatedNode"):
            parts.append(f" (nominated node {record['nominatedNode']} after preemption)")
    parts.append(f"\n{nodes.get('total', 0)} nodes; evaluated {nodes.get('evaluated', 0)} "
                 f"(percentageOfNodesToScore {nodes.get('percentageOfNodesToScore', 0)}%, "
                 f"stop after {nodes.get('numFeasibleNodesToFind', 0)} feasible, start index "
                 f"{nodes.get('startIndex', 0)}); {nodes.get('feasible', 0)} feasible")
    pending = pod is not None and not (pod.get("spec") or {}).get("nodeName")
    if pending or record.get("result") != "Scheduled":
        parts += ["\n", ("Why Pending: ", "bold $text-warning"), record.get("message") or failed_message or ""]
        if failed_message and failed_message != record.get("message"):
            parts += ["\n", ("Last FailedScheduling event: ", "$text-muted"), failed_message]
    return Content.assemble(*parts)


class ExplainScreen(LiveScreen):
    """The latest scheduling attempt: nodes × filter plugins, then per-plugin scores and totals."""

    REFRESH_HZ = 2  # each refresh lists the object's events, which the store keeps as JSON text

    DEFAULT_CSS = """
    ExplainScreen #explain-title { dock: top; height: 1; background: $panel; padding: 0 1; }
    ExplainScreen #explain-summary { height: auto; padding: 0 1; }
    ExplainScreen .explain-heading { height: auto; padding: 1 1 0 1; text-style: bold; }
    ExplainScreen DataTable { height: auto; max-height: 24; margin: 0 1; }
    ExplainScreen #explain-history { height: auto; padding: 1 1; color: $text-muted; }
    """

    def __init__(self, client, pod: str, namespace: str | None) -> None:
        super().__init__(client)
        self.pod = pod
        self.namespace = namespace
        self.record: dict | None = None
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"scheduler explain: pod {self.namespace or 'default'}/{self.pod}", id="explain-title")
        with VerticalScroll():
            yield Static(id="explain-summary")
            yield Static("Filter: which nodes can run the pod", classes="explain-heading", id="explain-filter-heading")
            yield DataTable(id="explain-filter", zebra_stripes=True, cursor_type="row")
            yield Static("Score: how the feasible nodes ranked (raw score → weighted)", classes="explain-heading",
                         id="explain-score-heading")
            yield DataTable(id="explain-score", zebra_stripes=True, cursor_type="row")
            yield Static(id="explain-history")
        yield Footer()

    def refresh_view(self) -> None:
        try:
            pod = self.client.get("pods", self.pod, self.namespace)
        except ApiError:
            pod = None
        record = self.client.explain(self.pod, self.namespace)
        failed = self._failed_message(pod) if pod is not None and not pod["spec"].get("nodeName") else None
        shown = (record.get("uid"), record.get("attempt"), record.get("time"), failed,
                 (pod or {}).get("spec", {}).get("nodeName")) if record else (None, failed)
        if shown == self._shown:
            return
        self._shown = shown
        self.record = record
        summary_widget = self.query_one("#explain-summary", Static)
        if record is None:
            text = ("No scheduling record for this pod: it was bound without the scheduler (spec.nodeName "
                    "set), or its record is gone.")
            if pod is None:
                text = f'pod "{self.pod}" not found'
            elif failed:
                text += f"\nWhy Pending: {failed}"
            summary_widget.update(text)
            self._fill_tables({}, {}, {}, {}, None)
            return
        summary_widget.update(summary(record, pod, failed))
        if not record.get("detailed"):
            self.query_one("#explain-filter-heading", Static).update(
                "Per-node detail has expired (only the most recent attempts keep it); the summary above remains.")
        self._fill_tables(record.get("filter") or {}, record.get("score") or {}, record.get("finalScore") or {},
                          record.get("totalScore") or {}, record.get("selectedNode"))
        history = record.get("history") or []
        self.query_one("#explain-history", Static).update(
            "Attempts: " + "; ".join(f"#{a['attempt']} {a['time']} {a['result']}"
                                     + (f" → {a['selectedNode']}" if a.get("selectedNode") else "")
                                     for a in history))

    def _failed_message(self, pod: dict) -> str | None:
        meta = pod["metadata"]
        try:
            events = self.client.list("events", meta["namespace"], field_selector=f"involvedObject.uid={meta['uid']}")
        except ApiError:
            events = [e for e in self.client.list("events", meta["namespace"])
                      if (e.get("involvedObject") or {}).get("name") == meta["name"]]
        failed = [e for e in events if e.get("reason") == "FailedScheduling"]
        if not failed:
            return None
        return max(failed, key=lambda e: e.get("lastTimestamp") or "").get("message")

    def _fill_tables(self, filters: dict, scores: dict, final: dict, totals: dict, selected: str | None) -> None:
        table = self.query_one("#explain-filter", DataTable)
        table.clear(columns=True)
        plugins = plugin_order(filters)
        table.add_columns("NODE", *plugins)
        for node, row in filters.items():
            feasible = all(v == PASSED for v in row.values()) and len(row) == len(plugins)
            cells = [Text(("★ " if node == selected else "  ") + node,
                          style="bold green" if node == selected else ("" if feasible else "red"))]
            for plugin in plugins:
                value = row.get(plugin)
                if value is None:
                    cells.append(Text("—", style="dim"))
                elif value == PASSED:
                    cells.append(Text("✓ passed", style="green"))
                else:
                    cells.append(Text("✗ " + value, style="bold red"))
            table.add_row(*cells, key=node)
        score_table = self.query_one("#explain-score", DataTable)
        score_table.clear(columns=True)
        score_plugins = plugin_order(scores)
        score_table.add_columns("NODE", *score_plugins, "TOTAL")
        # Among equal totals the scheduler picked one at random (selectHost); show its pick first.
        for node in sorted(totals, key=lambda n: (-totals[n], n != selected, n)):
            style = "bold green" if node == selected else ""
            cells = [Text(("★ " if node == selected else "  ") + node, style=style)]
            cells += [Text(f"{scores.get(node, {}).get(p, 0)} → {final.get(node, {}).get(p, 0)}", style=style)
                      for p in score_plugins]
            cells.append(Text(str(totals[node]), style="bold " + (style or "")))
            score_table.add_row(*cells, key=node)
        if not totals:
            self.query_one("#explain-score-heading", Static).update(
                "Score: no node passed every filter, nothing was scored")
