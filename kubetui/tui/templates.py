"""Starting points for new objects in the YAML editor: one valid manifest per common kind."""

from __future__ import annotations

_POD_SPEC = """\
      containers:
        - name: app
          image: nginx:1.27
          ports:
            - containerPort: 80
          resources:
            requests:
              cpu: 100m
              memory: 64Mi
"""

TEMPLATES: dict[str, str] = {
    "Pod": """\
apiVersion: v1
kind: Pod
metadata:
  name: my-pod
  labels:
    app: my-pod
spec:
  containers:
    - name: app
      image: nginx:1.27
      ports:
        - containerPort: 80
      resources:
        requests:
          cpu: 100m
          memory: 64Mi
""",
    "Deployment": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-deployment
  labels:
    app: my-deployment
spec:
  replicas: 3
  selector:
    matchLabels:
      app: my-deployment
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 25%
      maxSurge: 25%
  template:
    metadata:
      labels:
        app: my-deployment
    spec:
""" + _POD_SPEC,
    "ReplicaSet": """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: my-replicaset
spec:
  replicas: 2
  selector:
    matchLabels:
      app: my-replicaset
  template:
    metadata:
      labels:
        app: my-replicaset
    spec:
""" + _POD_SPEC,
    "ReplicationController": """\
apiVersion: v1
kind: ReplicationController
metadata:
  name: my-rc
spec:
  replicas: 2
  # An RC selects with a plain label map (no matchLabels), the pre-ReplicaSet way.
  selector:
    app: my-rc
  template:
    metadata:
      labels:
        app: my-rc
    spec:
""" + _POD_SPEC,
    "StatefulSet": """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: my-statefulset
spec:
  serviceName: my-statefulset
  replicas: 2
  selector:
    matchLabels:
      app: my-statefulset
  template:
    metadata:
      labels:
        app: my-statefulset
    spec:
""" + _POD_SPEC,
    "Service": """\
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  type: ClusterIP
  selector:
    app: my-deployment
  ports:
    - name: http
      port: 80
      targetPort: 80
""",
    "Ingress": """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: my-ingress
spec:
  rules:
    - host: my-app.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: my-service
                port:
                  number: 80
""",
    "ConfigMap": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: my-config
data:
  LOG_LEVEL: info
  app.properties: |
    greeting=hello
""",
    "Secret": """\
apiVersion: v1
kind: Secret
metadata:
  name: my-secret
type: Opaque
# stringData is written as data (base64) by the API server.
stringData:
  username: admin
  password: change-me
""",
    "Namespace": """\
apiVersion: v1
kind: Namespace
metadata:
  name: my-namespace
""",
}
