"""The simulated machines: kubelet and container runtime."""
