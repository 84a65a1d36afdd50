"""`Q` / `:quota [NS]`: a namespace's ResourceQuotas (used / hard) and LimitRanges, as kubectl describes them."""

from __future__ import annotations

from ...engine.api.errors import ApiError
from ..describe_text import describe
from .live import TextScreen


def quota_text(client, namespace: str) -> str:
    """`kubectl describe quota -n NS` then `kubectl describe limitrange -n NS`; raises ApiError like the server."""
    client.get("namespaces", namespace)
    parts = []
    for resource, what in (("resourcequotas", "ResourceQuotas"), ("limitranges", "LimitRanges")):
        names = sorted(obj["metadata"]["name"] for obj in client.list(resource, namespace))
        parts.append(f"# {what} in {namespace}: {len(names)}")
        if not names:
            parts.append(f"No resources found in {namespace} namespace.\n")
        parts += [describe(client, resource, name, namespace) for name in names]
    parts.append("A pod asking for more than a quota has left is rejected at creation (403 Forbidden: exceeded "
                 "quota);\nLimitRanges fill in missing requests and limits first, and reject what is out of "
                 "their range.")
    return "\n".join(parts)


class QuotaScreen(TextScreen):
    """Follows the quotas' usage as pods come and go."""

    REFRESH_HZ = 1  # each refresh lists the objects' events

    def __init__(self, client, namespace: str) -> None:
        super().__init__(client)
        self.namespace = namespace

    def title_text(self) -> str:
        return f"quotas and limits in namespace {self.namespace}"

    def view_text(self) -> str:
        try:
            return quota_text(self.client, self.namespace)
        except ApiError as exc:
            return f"Error from server ({exc.reason}): {exc.message}"
