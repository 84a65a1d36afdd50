"""Full-screen views the app pushes: network map, etcd browser, YAML editor, describe, explain, timeline."""

from .describe import DescribeScreen
from .editor import EditorScreen
from .etcd import EtcdScreen
from .explain import ExplainScreen
from .network import NetworkScreen
from .timeline import TimelineScreen

__all__ = ["DescribeScreen", "EditorScreen", "EtcdScreen", "ExplainScreen", "NetworkScreen", "TimelineScreen"]
