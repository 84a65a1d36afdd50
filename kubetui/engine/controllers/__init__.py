"""kube-controller-manager: one module per controller."""
