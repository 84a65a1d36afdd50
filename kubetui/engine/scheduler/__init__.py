"""kube-scheduler: scheduling queue, filter and score plugins, binding and explain records."""
