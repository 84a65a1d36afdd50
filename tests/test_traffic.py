"""The traffic generator: requests follow Ingress → Service → kube-proxy → pod, and a dead node shows as failures."""

from kubetui.data import data_dir
from kubetui.scenario.loader import load_scenario
from kubetui.scenario.runner import start


def default_cluster():
    run = start(load_scenario(data_dir("scenarios") / "default.yaml"))
    run.client.advance(30)
    return run.client


def test_requests_spread_over_the_ready_pods_through_the_ingress():
    client = default_cluster()
    client.traffic_start("web", "http://web.example.com/", rate=60)
    client.advance(10)
    [stream] = client.traffic_streams()
    assert stream.total_ok == 600 and stream.total_failed == 0
    answered = {}
    for second in stream.history:
        for pod, n in second.pods.items():
            answered[pod] = answered.get(pod, 0) + n
    assert set(answered) == {p["metadata"]["name"] for p in client.list("pods")}  # all six web pods answer


def test_a_killed_node_fails_requests_until_its_endpoints_are_removed():
    client = default_cluster()
    client.traffic_start("web", "http://web.example.com/", rate=30)
    client.advance(5)
    client.cluster.kill_node("worker-1")
    client.advance(60)
    [stream] = client.traffic_streams()
    failing = [s for s in stream.history if s.failed]
    assert failing, "requests to pods on the dead node must fail for a while"
    assert all(set(s.failed) == {"timeout (worker-1 is down)"} for s in failing)
    assert failing[-1].at < stream.history[-1].at  # then the endpoints were updated and it healed
    assert not stream.history[-1].failed and stream.history[-1].ok == 30


def test_unknown_hosts_services_and_stopping():
    client = default_cluster()
    client.traffic_start("nowhere", "http://nowhere.example.com/", rate=2)
    client.traffic_start("svc", "web:80", rate=3)
    client.traffic_start("typo", "wbe", rate=1)
    client.advance(3)
    streams = {s.name: s for s in client.traffic_streams()}
    assert streams["nowhere"].history[-1].failed == {"404: no Ingress rule": 2}
    assert streams["svc"].history[-1].ok == 3
    assert streams["typo"].history[-1].failed == {"DNS: wbe not found": 1}
    client.traffic_stop("nowhere")
    assert [s.name for s in client.traffic_streams()] == ["svc", "typo"]
