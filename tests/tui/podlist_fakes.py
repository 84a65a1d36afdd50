"""A fake Client that serves a fixed list of pods and an app holding only the pod list, for the pod-list tests."""

from textual.app import App

from kubetui.tui.model import ClusterModel
from kubetui.tui.themes import STATUS_VARIABLES
from kubetui.tui.widgets.podlist import PodList


class FakeClient:
    """Just enough of the Client for the model: list, watch, revision; `callbacks[resource]` sends events."""

    def __init__(self, pods, now=90.0):
        self.pods = pods
        self.callbacks = {}
        self.now = now

    def store_revision(self):
        return 1

    def list(self, resource, **_):
        return list(self.pods) if resource == "pods" else []

    def watch(self, resource, callback, **_):
        self.callbacks[resource] = callback

        class Stop:
            def stop(self):
                pass
        return Stop()


class ListApp(App):
    """The pod list alone, focused and filled at mount."""

    def __init__(self, client):
        super().__init__()
        self.client = client
        self.model = ClusterModel(client)

    def get_theme_variable_defaults(self):
        return dict(STATUS_VARIABLES)

    def compose(self):
        yield PodList(self.model, lambda: self.client.now, id="pods")

    def on_mount(self):
        pods = self.query_one(PodList)
        pods.rebuild()
        pods.focus()
