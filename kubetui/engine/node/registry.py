"""The simulated container registry: which image references a pull finds, so a typo fails like a real one."""

from __future__ import annotations

from .runtime import normalize_image

# Official images people use in tutorials. A short name one or two letters away from one of these is a typo
# (`ngnix`, `busybx`) and does not exist; anything else is assumed to exist.
OFFICIAL = frozenset({
    "nginx", "busybox", "alpine", "ubuntu", "debian", "centos", "fedora", "redis", "postgres", "mysql", "mariadb",
    "mongo", "httpd", "python", "node", "golang", "openjdk", "perl", "ruby", "php", "wordpress", "memcached",
    "rabbitmq", "traefik", "haproxy", "registry", "hello-world", "bash", "caddy", "tomcat", "jenkins", "consul",
    "vault", "elasticsearch", "kibana", "logstash", "cassandra", "zookeeper", "nats", "influxdb", "eclipse-temurin",
    "rust", "pypy", "gcc", "julia", "erlang", "elixir", "swift", "haskell", "clojure", "groovy", "gradle", "maven",
    "sonarqube", "nextcloud", "ghost", "drupal", "joomla", "odoo", "redmine", "couchdb", "couchbase", "neo4j", "solr",
    "kong", "varnish", "amazonlinux", "oraclelinux", "archlinux", "rockylinux", "almalinux", "photon", "mono", "dart",
    "telegraf", "chronograf", "kapacitor", "percona", "adminer", "phpmyadmin", "composer", "buildpack-deps", "docker",
    "eclipse-mosquitto", "emqx", "flink", "spark", "tomee", "jetty", "mediawiki", "matomo", "rethinkdb", "unit",
    "amazoncorretto", "sapmachine", "ibmjava", "r-base", "hylang", "busybox", "postfixadmin", "friendica", "yourls",
    "arangodb", "aerospike", "crate", "geonetwork", "storm", "bonita", "convertigo", "lightstreamer", "monica", "xwiki",
})
_MISSING_WORDS = ("nonexistent", "does-not-exist", "doesnotexist", "notfound", "not-found", "no-such")
PULL_BACKOFF_INITIAL = 10.0   # the kubelet's image pull back-off: 10 s doubling …
PULL_BACKOFF_MAX = 300.0      # … up to 5 minutes


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings only)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def pull_error(image: str) -> str | None:
    """None if the registry has the image, else the runtime's error for the failed pull."""
    ref = normalize_image(image)
    name = ref.split("@", 1)[0]
    path, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    repo = path.rsplit("/", 1)[-1]
    resolve = f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}"'
    if any(word in tag for word in _MISSING_WORDS):
        return f"rpc error: code = NotFound desc = {resolve}: {ref}: not found"
    official = path.startswith("docker.io/library/")
    typo = official and repo not in OFFICIAL and any(_distance(repo, known) <= 2 for known in OFFICIAL
                                                       if abs(len(known) - len(repo)) <= 2 and len(repo) > 3)
    if typo or any(word in repo for word in _MISSING_WORDS):
        return (f"rpc error: code = Unknown desc = {resolve}: pull access denied, repository does not exist or may "
                "require authorization: server message: insufficient_scope: authorization failed")
    return None
