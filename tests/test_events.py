"""The event recorder repeats, combines and rate-limits events like client-go's EventCorrelator."""

from kubetui.engine.cluster import Cluster
from kubetui.engine.events import EventRecorder


def setup():
    cluster = Cluster(nodes=[], seed=1)
    cm = cluster.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, "default")
    return cluster, EventRecorder(cluster.api, "test-controller"), cm


def events_for(cluster, name):
    return [e for e in cluster.api.list("events", "default")[0] if e["involvedObject"]["name"] == name]


def test_exact_repeat_bumps_count():
    cluster, rec, cm = setup()
    rec.warning(cm, "BackOff", "Back-off restarting failed container")
    cluster.advance(10)
    rec.warning(cm, "BackOff", "Back-off restarting failed container")
    [event] = events_for(cluster, "c")
    assert event["count"] == 2 and event["firstTimestamp"] != event["lastTimestamp"]
    assert event["source"] == {"component": "test-controller"} and event["type"] == "Warning"


def test_similar_events_are_combined_after_ten():
    cluster, rec, cm = setup()
    for i in range(14):
        rec.normal(cm, "SuccessfulCreate", f"Created pod: web-{i}")
    events = events_for(cluster, "c")
    assert len(events) == 10
    combined = [e for e in events if e["message"].startswith("(combined from similar events): ")]
    assert len(combined) == 1 and combined[0]["count"] == 5 and combined[0]["message"].endswith("web-13")


def test_spam_filter_holds_back_floods():
    cluster, rec, cm = setup()
    for i in range(40):
        rec.normal(cm, f"Reason{i}", "m")  # different reasons: nothing to combine
    assert len(events_for(cluster, "c")) == 25
    cluster.advance(300)
    rec.normal(cm, "Later", "m")
    assert len(events_for(cluster, "c")) == 26
