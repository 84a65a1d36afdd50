"""kube-scheduler: scheduling queue, filter and score plugins, binding and explain records."""

from .explain import explain_annotations
from .scheduler import Scheduler

__all__ = ["Scheduler", "explain_annotations"]
