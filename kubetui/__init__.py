"""kubetui: a Kubernetes cluster playground in the terminal."""
