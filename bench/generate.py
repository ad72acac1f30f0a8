#!/usr/bin/env python3
"""Generate a deterministic synthetic corpus of Kubernetes manifests for the benchmark.

    python bench/generate.py OUT_DIR [--mb 20] [--seed 1] [--force]

The corpus imitates what real repositories hold, by bytes and by shape:

* a few big multi-document install bundles (several MB: CRDs, RBAC, webhooks, workloads);
* CustomResourceDefinitions with large ``openAPIV3Schema`` trees (most bytes in real repositories),
  some embedding a full pod template schema (``containers``, ``securityContext``,
  ``seccompProfile`` ...) the way operators' CRDs do;
* Helm-rendered streams with ``# Source: chart/templates/x.yaml`` comments and golden files;
* many small files: Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, Pods, Argo Rollouts,
  Knative Services, ``List`` objects (also as JSON), ConfigMaps, Services, RBAC, kustomizations,
  Helm values files and a few unrendered chart templates; comments, multi-document files, block
  scalars, anchors and merge keys, CRLF line endings, a BOM, one or two broken files;
* seccomp settings of every kind: none, pod-level ``RuntimeDefault``/``Localhost``, container
  ``Unconfined``, shorthand strings, mis-cased types, bad ``localhostProfile`` paths, legacy
  annotations (also misplaced or contradicting the field), Windows pods, privileged containers.

Standard library only. The same ``--seed`` and ``--mb`` give a byte-identical tree: everything
comes from one seeded ``random.Random`` and nothing depends on time, hashing or the file system.
``--mb`` counts decimal megabytes (10**6 bytes) of files; the result overshoots by at most one file.

A stamp file ``OUT_DIR/.generated.json`` (skipped by the linter, which ignores dot files) records
the parameters and a hash of this script, so ``bench/run.py`` can reuse a corpus that is current.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sys

STAMP = ".generated.json"
MB = 1_000_000

# ---------------------------------------------------------------------------------------------
# Vocabulary

WORDS = [
    "the",
    "a",
    "an",
    "of",
    "to",
    "and",
    "or",
    "for",
    "in",
    "on",
    "by",
    "with",
    "from",
    "this",
    "that",
    "is",
    "are",
    "be",
    "must",
    "may",
    "should",
    "can",
    "when",
    "if",
    "not",
    "only",
    "each",
    "every",
    "any",
    "all",
    "its",
    "their",
    "which",
    "will",
    "defaults",
    "default",
    "value",
    "values",
    "field",
    "fields",
    "object",
    "objects",
    "resource",
    "resources",
    "name",
    "names",
    "namespace",
    "namespaces",
    "label",
    "labels",
    "selector",
    "selectors",
    "annotation",
    "annotations",
    "pod",
    "pods",
    "container",
    "containers",
    "volume",
    "volumes",
    "secret",
    "secrets",
    "config",
    "configuration",
    "service",
    "services",
    "port",
    "ports",
    "endpoint",
    "endpoints",
    "probe",
    "probes",
    "limit",
    "limits",
    "request",
    "requests",
    "node",
    "nodes",
    "taint",
    "toleration",
    "affinity",
    "policy",
    "policies",
    "rule",
    "rules",
    "certificate",
    "issuer",
    "gateway",
    "route",
    "routes",
    "listener",
    "backend",
    "upstream",
    "cluster",
    "tenant",
    "workflow",
    "pipeline",
    "task",
    "step",
    "trigger",
    "condition",
    "conditions",
    "status",
    "phase",
    "generation",
    "revision",
    "template",
    "schedule",
    "snapshot",
    "backup",
    "restore",
    "quota",
    "webhook",
    "replica",
    "replicas",
    "spec",
    "reference",
    "references",
    "key",
    "keys",
    "type",
    "types",
    "list",
    "map",
    "string",
    "integer",
    "boolean",
    "duration",
    "timeout",
    "retry",
    "retries",
    "interval",
    "threshold",
    "specifies",
    "defines",
    "describes",
    "indicates",
    "controls",
    "determines",
    "sets",
    "configures",
    "enables",
    "disables",
    "overrides",
    "represents",
    "holds",
    "contains",
    "identifies",
    "referenced",
    "specified",
    "optional",
    "required",
    "deprecated",
    "immutable",
    "observed",
    "desired",
    "current",
    "latest",
    "last",
    "time",
    "timestamp",
    "seconds",
    "minutes",
    "format",
    "path",
    "paths",
    "header",
    "headers",
    "host",
    "hosts",
    "protocol",
    "TLS",
    "HTTP",
    "gRPC",
    "TCP",
    "UDP",
    "DNS",
    "IP",
    "address",
    "addresses",
    "mode",
    "strategy",
    "update",
    "rolling",
    "controller",
    "operator",
    "manager",
    "api",
    "server",
    "client",
    "token",
    "account",
    "role",
    "binding",
    "permission",
    "metric",
    "metrics",
    "log",
    "logs",
    "level",
    "storage",
    "class",
    "capacity",
    "size",
    "claim",
    "mount",
    "mounts",
    "image",
    "pull",
    "registry",
    "repository",
    "tag",
    "digest",
    "version",
    "versions",
    "source",
    "target",
    "destination",
    "sync",
    "health",
    "check",
    "ready",
    "readiness",
    "liveness",
    "startup",
    "termination",
    "grace",
    "period",
    "priority",
    "weight",
    "zone",
    "region",
    "topology",
    "spread",
    "constraint",
    "constraints",
    "match",
    "matching",
    "expression",
    "expressions",
    "operator",
    "In",
    "NotIn",
    "Exists",
    "set",
    "unset",
    "empty",
    "nil",
    "zero",
    "positive",
    "negative",
    "number",
    "count",
    "more",
    "less",
    "than",
    "at",
    "least",
    "most",
    "one",
    "two",
    "more.",
    "information",
    "details",
    "see",
    "https://kubernetes.io/docs",
    "More",
    "info:",
    "validation",
    "cannot",
    "updated",
    "after",
    "creation.",
    "Defaults",
    "to",
    "false.",
    "Defaults",
    "to",
    "true.",
]
# (words ending in ':' would need quoting in plain scalars; keep the list free of them)
WORDS = tuple(w for w in WORDS if not w.endswith(":"))

NAME_PARTS_A = [
    "api",
    "cart",
    "payment",
    "order",
    "user",
    "auth",
    "billing",
    "search",
    "catalog",
    "checkout",
    "frontend",
    "backend",
    "gateway",
    "worker",
    "scheduler",
    "notifier",
    "mailer",
    "indexer",
    "ingest",
    "export",
    "report",
    "metrics",
    "audit",
    "cache",
    "queue",
    "proxy",
    "router",
    "sync",
    "agent",
    "collector",
    "exporter",
    "controller",
    "webhook",
    "admission",
    "registry",
    "store",
    "ledger",
    "inventory",
    "pricing",
    "shipping",
    "recommend",
    "media",
    "thumbnail",
    "upload",
    "session",
]
NAME_PARTS_B = [
    "service",
    "server",
    "api",
    "worker",
    "daemon",
    "job",
    "runner",
    "manager",
    "controller",
    "operator",
    "proxy",
    "agent",
    "web",
    "svc",
    "app",
    "core",
    "main",
    "backend",
    "node",
]
REPOS = [
    "acme-platform",
    "orbit-operator",
    "nimbus-gitops",
    "helios-charts",
    "atlas-infra",
    "quasar-mesh",
    "borealis-apps",
    "cobalt-ingress",
    "zephyr-pipelines",
    "tundra-storage",
    "kestrel-observability",
    "sable-security",
    "lumen-serverless",
    "granite-data",
    "marlin-edge",
    "vega-ml",
    "fjord-backup",
    "cinder-network",
    "oakwood-config",
    "polaris-workloads",
]
GROUP_DOMAINS = [
    "example.com",
    "acme.io",
    "orbit.dev",
    "nimbus.sh",
    "helios.io",
    "atlas.cloud",
    "quasar.net",
    "borealis.org",
    "cobalt.dev",
    "zephyr.run",
    "tundra.io",
    "kestrel.dev",
    "sable.sh",
    "lumen.app",
    "granite.io",
    "marlin.dev",
    "vega.ai",
    "fjord.cloud",
    "cinder.net",
    "oakwood.dev",
    "polaris.io",
]
REGISTRIES = (
    "docker.io/library",
    "ghcr.io/acme",
    "quay.io/orbit",
    "registry.k8s.io",
    "gcr.io/distroless",
    "public.ecr.aws/nimbus",
    "registry.example.com/team",
)
IMAGES = (
    "nginx",
    "redis",
    "postgres",
    "busybox",
    "alpine",
    "envoy",
    "prometheus",
    "grafana",
    "python",
    "node",
    "golang",
    "openjdk",
    "haproxy",
    "memcached",
    "rabbitmq",
    "etcd",
    "coredns",
    "fluent-bit",
    "vault",
    "consul",
    "traefik",
    "kube-state-metrics",
)
PLURAL_STEMS = (
    "widget",
    "gadget",
    "tenant",
    "pipeline",
    "backup",
    "restore",
    "snapshot",
    "certificate",
    "issuer",
    "gateway",
    "route",
    "policy",
    "cluster",
    "database",
    "bucket",
    "queue",
    "topic",
    "workflow",
    "job",
    "schedule",
    "alert",
    "probe",
    "mesh",
    "listener",
    "secretstore",
    "application",
    "project",
    "runner",
    "profile",
    "quota",
    "volume",
    "replica",
    "notebook",
    "model",
    "endpoint",
    "instance",
)
TYPE_WORDS = (
    "Spec",
    "Status",
    "Config",
    "Policy",
    "Template",
    "Ref",
    "Source",
    "Target",
    "Selector",
    "Settings",
    "Options",
    "Rule",
    "Condition",
    "Strategy",
    "Endpoint",
)


def camel(*parts: str) -> str:
    head, *rest = parts
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def title(s: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_]", s))


# ---------------------------------------------------------------------------------------------
# A small block-style YAML emitter (PyYAML would be slower and is not stdlib)


class Raw:
    """Pre-emitted mapping content at indentation 0, re-indented where it is inserted."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class Flow:
    """A mapping or sequence written in flow style: ``{type: RuntimeDefault}``."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class Anchor:
    __slots__ = ("name", "value")

    def __init__(self, name: str, value):
        self.name, self.value = name, value


class Alias:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


class Plain:
    """A scalar written verbatim (``yes``, ``0755``): YAML 1.1 values as people write them."""

    __slots__ = ("s",)

    def __init__(self, s: str):
        self.s = s


class Quoted:
    """A string forced into quotes (``"8080"``), single or double."""

    __slots__ = ("s", "style")

    def __init__(self, s: str, style: str = '"'):
        self.s, self.style = s, style


_SPECIAL = frozenset(
    [
        "y",
        "n",
        "yes",
        "no",
        "on",
        "off",
        "true",
        "false",
        "null",
        "~",
        "Y",
        "N",
        "Yes",
        "No",
        "On",
        "Off",
        "True",
        "False",
        "Null",
        "YES",
        "NO",
        "ON",
        "OFF",
        "TRUE",
        "FALSE",
        "NULL",
    ]
)
_PLAIN = re.compile(r"[A-Za-z0-9_./(\[][A-Za-z0-9 _./:@=,()+\[\]`'*<>-]*")
_NUMERIC = re.compile(r"[-+]?(?:\.?[0-9][0-9_.:eE+-]*|\.inf|\.nan)", re.I)


def plain_ok(s: str) -> bool:
    return (
        bool(s)
        and _PLAIN.fullmatch(s) is not None
        and s not in _SPECIAL
        and _NUMERIC.fullmatch(s) is None
        and ": " not in s
        and " #" not in s
        and not s.endswith((":", " "))
        and not s.startswith(("[", "*", "'"))
    )


def scalar(v) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, Quoted):
        if v.style == "'" and "'" not in v.s:
            return "'" + v.s + "'"
        return json.dumps(v.s)
    if isinstance(v, Alias):
        return "*" + v.name
    if isinstance(v, Plain):
        return v.s
    if plain_ok(v):
        return v
    return json.dumps(v)


def flow(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    s = scalar(v)
    return s if not any(c in s for c in ",{}[]") or s.startswith('"') else json.dumps(str(v))


class Emitter:
    """Block YAML for nested dicts/lists; style knobs vary per document like real authors do."""

    def __init__(
        self,
        rng: random.Random,
        seq_indent: int = 0,
        comments: float = 0.0,
        folded_descriptions: bool = False,
    ):
        self.rng = rng
        self.si = seq_indent
        self.comments = comments
        self.folded = folded_descriptions
        self.out: list[str] = []

    def text(self) -> str:
        return "\n".join(self.out) + "\n"

    def doc(self, obj: dict) -> str:
        self.out = []
        self._map(obj, 0, "")
        return self.text()

    def _comment(self, pad: str) -> None:
        rng = self.rng
        words = " ".join(rng.choices(WORDS, k=rng.randint(3, 12)))
        self.out.append(f"{pad}# {words}")

    def _map(self, d: dict, ind: int, lead: str) -> None:
        pad = " " * ind
        first = True
        for k, v in d.items():
            if first:
                head = lead + k if lead else pad + k
                first = False
            else:
                if self.comments and self.rng.random() < self.comments:
                    self._comment(pad)
                head = pad + k
            self._entry(head, v, ind)

    def _entry(self, head: str, v, ind: int) -> None:
        out = self.out
        if isinstance(v, Anchor):
            head += ": &" + v.name
            v = v.value
            if isinstance(v, dict) and v:
                out.append(head)
                self._map(v, ind + 2, "")
            elif isinstance(v, list) and v:
                out.append(head)
                self._seq(v, ind + self.si)
            else:
                out.append(head + " " + flow(v))
            return
        if isinstance(v, dict):
            if not v:
                out.append(head + ": {}")
            else:
                out.append(head + ":")
                self._map(v, ind + 2, "")
        elif isinstance(v, list):
            if not v:
                out.append(head + ": []")
            else:
                out.append(head + ":")
                self._seq(v, ind + self.si)
        elif isinstance(v, Raw):
            pad = " " * (ind + 2)
            out.append(head + ":")
            out.append(pad + v.text.replace("\n", "\n" + pad))
        elif isinstance(v, Flow):
            out.append(head + ": " + flow(v.value))
        elif isinstance(v, str) and "\n" in v:
            self._block(head, v, ind)
        elif isinstance(v, str) and self.folded and len(v) > 90 and plain_ok(v):
            self._folded(head, v, ind)
        else:
            out.append(head + ": " + scalar(v))

    def _block(self, head: str, s: str, ind: int) -> None:
        pad = " " * (ind + 2)
        chomp = "" if s.endswith("\n") else "-"
        body = s[:-1] if s.endswith("\n") else s
        self.out.append(f"{head}: |{chomp}")
        self.out.extend((pad + line) if line else "" for line in body.split("\n"))

    def _folded(self, head: str, s: str, ind: int) -> None:
        # an old controller-gen style multi-line plain scalar
        pad = " " * (ind + 2)
        words = s.split(" ")
        line = head + ":"
        for w in words:
            if len(line) + 1 + len(w) > 100 and line.strip() and not line.endswith(":"):
                self.out.append(line)
                line = pad + w
            else:
                line += " " + w
        self.out.append(line)

    def _seq(self, items: list, ind: int) -> None:
        pad = " " * ind
        out = self.out
        for item in items:
            if isinstance(item, dict) and item:
                self._map(item, ind + 2, pad + "- ")
            elif isinstance(item, Flow):
                out.append(pad + "- " + flow(item.value))
            elif isinstance(item, list) and item:
                out.append(pad + "-")
                self._seq(item, ind + 2)
            elif isinstance(item, str) and "\n" in item:
                chomp = "" if item.endswith("\n") else "-"
                body = item[:-1] if item.endswith("\n") else item
                out.append(pad + "- |" + chomp)
                out.extend((pad + "  " + ln) if ln else "" for ln in body.split("\n"))
            elif isinstance(item, dict):
                out.append(pad + "- {}")
            elif isinstance(item, list):
                out.append(pad + "- []")
            else:
                out.append(pad + "- " + scalar(item))


# ---------------------------------------------------------------------------------------------
# Content


class Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self._pod_schema: str | None = None
        self._light_pod: str | None = None

    # -- small helpers ------------------------------------------------------------------------
    def words(self, lo: int, hi: int) -> str:
        rng = self.rng
        return " ".join(rng.choices(WORDS, k=rng.randint(lo, hi)))

    def sentence(self, lo: int = 5, hi: int = 25) -> str:
        s = self.words(lo, hi)
        return s[:1].upper() + s[1:] + "."

    def description(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            return self.sentence(4, 14)
        if r < 0.85:
            return " ".join(self.sentence() for _ in range(rng.randint(2, 4)))
        # multi-paragraph, written as a |- block by newer controller-gen
        paras = []
        for _ in range(rng.randint(2, 4)):
            text = " ".join(self.sentence() for _ in range(rng.randint(1, 3)))
            lines, line = [], ""
            for w in text.split(" "):
                if len(line) + len(w) > 78 and line:
                    lines.append(line)
                    line = w
                else:
                    line = (line + " " + w) if line else w
            lines.append(line)
            paras.append("\n".join(lines))
        return "\n\n".join(paras)

    def app_name(self) -> str:
        rng = self.rng
        return f"{rng.choice(NAME_PARTS_A)}-{rng.choice(NAME_PARTS_B)}"

    def image(self) -> str:
        rng = self.rng
        tag = rng.choice(
            (
                f"{rng.randint(0, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}",
                f"v{rng.randint(0, 3)}.{rng.randint(0, 30)}.{rng.randint(0, 12)}",
                "latest",
                "stable",
                f"{rng.randint(1, 20)}-alpine",
            )
        )
        img = f"{rng.choice(REGISTRIES)}/{rng.choice(IMAGES)}:{tag}"
        if rng.random() < 0.15:
            img += "@sha256:" + f"{rng.getrandbits(256):064x}"
        return img

    def hexdigest(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    def labels(self, name: str, chart: str | None = None) -> dict:
        rng = self.rng
        lab = {"app.kubernetes.io/name": name}
        if rng.random() < 0.7:
            lab["app.kubernetes.io/instance"] = name + rng.choice(("", "-prod", "-staging", "-dev"))
        if rng.random() < 0.5:
            lab["app.kubernetes.io/component"] = rng.choice(
                ("server", "worker", "controller", "web", "db")
            )
        if chart:
            lab["app.kubernetes.io/managed-by"] = "Helm"
            lab["helm.sh/chart"] = (
                f"{chart}-{rng.randint(0, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}"
            )
            lab["app.kubernetes.io/version"] = Quoted(
                f"{rng.randint(0, 5)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}"
            )
        elif rng.random() < 0.3:
            lab = {"app": name}
        return lab

    # -- seccomp scenarios --------------------------------------------------------------------
    SCENARIOS = (
        ("none", 34),
        ("pod-runtime", 24),
        ("pod-runtime-container-unconfined", 4),
        ("containers-runtime", 8),
        ("containers-some", 5),
        ("pod-localhost", 4),
        ("localhost-no-profile", 1),
        ("localhost-absolute", 1),
        ("localhost-dotdot", 0.5),
        ("annotation-pod", 4),
        ("annotation-container", 1.5),
        ("annotation-localhost", 0.5),
        ("annotation-unconfined", 0.5),
        ("annotation-misplaced", 1),
        ("annotation-mismatch", 1),
        ("miscased", 2),
        ("shorthand", 1),
        ("pod-unconfined", 2),
        ("windows", 1),
        ("windows-with-seccomp", 0.5),
        ("flow-style", 3),
        ("anchors", 1),
        ("suppressed", 0.5),
    )

    def scenario(self) -> str:
        names = [s for s, _ in self.SCENARIOS]
        weights = [w for _, w in self.SCENARIOS]
        return self.rng.choices(names, weights)[0]

    def container(self, name: str, sc: dict | None, init: bool = False) -> dict:
        rng = self.rng
        c: dict = {"name": name, "image": self.image()}
        if rng.random() < 0.6:
            c["imagePullPolicy"] = rng.choice(("IfNotPresent", "Always"))
        if rng.random() < 0.4:
            c["command"] = rng.choice(
                (
                    ["/bin/sh", "-c"],
                    [f"/usr/local/bin/{name}"],
                    ["python", "-m", name.replace("-", "_")],
                )
            )
        if rng.random() < 0.5:
            c["args"] = [
                f"--{rng.choice(NAME_PARTS_A)}-{rng.choice(('addr', 'port', 'level', 'dir', 'timeout'))}={rng.randint(1, 9000)}"
                for _ in range(rng.randint(1, 6))
            ]
            if init and rng.random() < 0.5:
                c["args"] = [f"until nslookup {self.app_name()}; do echo waiting; sleep 2; done\n"]
        if not init and rng.random() < 0.8:
            c["ports"] = [
                {
                    "name": rng.choice(("http", "grpc", "metrics", "admin", "https")),
                    "containerPort": rng.choice(
                        (80, 443, 8080, 8443, 9090, 9102, 3000, 5432, 6379)
                    ),
                    "protocol": "TCP",
                }
                for _ in range(rng.randint(1, 3))
            ]
        if rng.random() < 0.7:
            env = []
            for _ in range(rng.randint(1, 12)):
                key = "_".join(
                    rng.choices(
                        (
                            "LOG",
                            "LEVEL",
                            "PORT",
                            "HOST",
                            "DB",
                            "URL",
                            "ENABLE",
                            "FEATURE",
                            "CACHE",
                            "TTL",
                            "MODE",
                            "TOKEN",
                            "PATH",
                        ),
                        k=rng.randint(1, 3),
                    )
                )
                r = rng.random()
                if r < 0.55:
                    env.append(
                        {
                            "name": key,
                            "value": rng.choice(
                                (
                                    Quoted(str(rng.randint(0, 9999))),
                                    Quoted("true"),
                                    "info",
                                    "debug",
                                    f"http://{self.app_name()}:8080",
                                    Quoted("false"),
                                    "/var/lib/data",
                                )
                            ),
                        }
                    )
                elif r < 0.8:
                    env.append(
                        {
                            "name": key,
                            "valueFrom": {
                                "secretKeyRef": {
                                    "name": self.app_name() + "-secret",
                                    "key": key.lower(),
                                }
                            },
                        }
                    )
                else:
                    env.append(
                        {
                            "name": key,
                            "valueFrom": {
                                "fieldRef": {
                                    "fieldPath": rng.choice(
                                        (
                                            "metadata.namespace",
                                            "metadata.name",
                                            "status.podIP",
                                            "spec.nodeName",
                                        )
                                    )
                                }
                            },
                        }
                    )
            c["env"] = env
        if rng.random() < 0.7:
            c["resources"] = {
                "requests": {
                    "cpu": rng.choice(("10m", "50m", "100m", "250m", "500m", Quoted("1"))),
                    "memory": rng.choice(("32Mi", "64Mi", "128Mi", "256Mi", "1Gi")),
                },
                "limits": {"memory": rng.choice(("128Mi", "256Mi", "512Mi", "2Gi"))},
            }
        if not init and rng.random() < 0.5:
            c["livenessProbe"] = {
                "httpGet": {"path": "/healthz", "port": rng.choice(("http", 8080))},
                "initialDelaySeconds": rng.randint(0, 30),
                "periodSeconds": rng.choice((5, 10, 15)),
            }
            c["readinessProbe"] = {
                "httpGet": {"path": "/readyz", "port": rng.choice(("http", 8080))},
                "periodSeconds": rng.choice((5, 10)),
            }
        if rng.random() < 0.5:
            c["volumeMounts"] = [
                {
                    "name": rng.choice(("config", "data", "tmp", "certs", "cache")) + str(i),
                    "mountPath": rng.choice(
                        ("/etc/config", "/var/lib/data", "/tmp", "/etc/tls", "/cache")
                    )
                    + str(i),
                    **({"readOnly": True} if rng.random() < 0.4 else {}),
                }
                for i in range(rng.randint(1, 4))
            ]
        if sc is not None:
            c["securityContext"] = sc
        return c

    def base_sc(self) -> dict:
        rng = self.rng
        sc: dict = {}
        if rng.random() < 0.6:
            sc["allowPrivilegeEscalation"] = False
        if rng.random() < 0.5:
            sc["capabilities"] = {"drop": ["ALL"]}
        if rng.random() < 0.4:
            sc["readOnlyRootFilesystem"] = True
        if rng.random() < 0.4:
            sc["runAsNonRoot"] = True
        return sc

    def pod_spec(self, name: str, restart: str | None = None) -> tuple[dict, dict, dict]:
        """(pod spec, pod template annotations, workload annotations) with a seccomp scenario."""
        rng = self.rng
        scen = self.scenario()
        n = rng.choices((1, 2, 3, 4), (60, 25, 10, 5))[0]
        names = [name] + [
            rng.choice(("sidecar", "proxy", "exporter", "log-shipper", "envoy", "oauth2-proxy"))
            + str(i)
            for i in range(1, n)
        ]
        pod_sc: dict = {}
        if rng.random() < 0.5:
            pod_sc["runAsNonRoot"] = True
        if rng.random() < 0.3:
            pod_sc["runAsUser"] = rng.choice((1000, 65532, 10001))
            pod_sc["fsGroup"] = rng.choice((1000, 2000, 65532))
        csc = [self.base_sc() if rng.random() < 0.6 else None for _ in names]
        tmpl_ann: dict = {}
        wl_ann: dict = {}
        spec_extra: dict = {}

        def put(i: int, prof) -> None:
            if csc[i] is None:
                csc[i] = {}
            csc[i]["seccompProfile"] = prof

        lp = f"profiles/{name}.json"
        if scen == "pod-runtime":
            pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        elif scen == "pod-runtime-container-unconfined":
            pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
            put(rng.randrange(n), {"type": "Unconfined"})
        elif scen == "containers-runtime":
            for i in range(n):
                put(i, {"type": "RuntimeDefault"})
        elif scen == "containers-some":
            put(0, {"type": "RuntimeDefault"})
        elif scen == "pod-localhost":
            pod_sc["seccompProfile"] = {"type": "Localhost", "localhostProfile": lp}
        elif scen == "localhost-no-profile":
            put(0, {"type": "Localhost"})
        elif scen == "localhost-absolute":
            pod_sc["seccompProfile"] = {
                "type": "Localhost",
                "localhostProfile": "/var/lib/kubelet/seccomp/" + lp,
            }
        elif scen == "localhost-dotdot":
            pod_sc["seccompProfile"] = {"type": "Localhost", "localhostProfile": "../" + lp}
        elif scen == "annotation-pod":
            tmpl_ann["seccomp.security.alpha.kubernetes.io/pod"] = rng.choice(
                ("runtime/default", "docker/default")
            )
        elif scen == "annotation-container":
            tmpl_ann[f"container.seccomp.security.alpha.kubernetes.io/{names[0]}"] = (
                "runtime/default"
            )
        elif scen == "annotation-localhost":
            tmpl_ann["seccomp.security.alpha.kubernetes.io/pod"] = "localhost/" + lp
        elif scen == "annotation-unconfined":
            tmpl_ann["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined"
        elif scen == "annotation-misplaced":
            wl_ann["seccomp.security.alpha.kubernetes.io/pod"] = "runtime/default"
        elif scen == "annotation-mismatch":
            tmpl_ann["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined"
            pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        elif scen == "miscased":
            bad = rng.choice(
                (
                    "runtimedefault",
                    "Runtimedefault",
                    "runtimeDefault",
                    "unconfined",
                    "RUNTIMEDEFAULT",
                )
            )
            if rng.random() < 0.5:
                pod_sc["seccompProfile"] = {"type": bad}
            else:
                put(0, {"type": bad})
        elif scen == "shorthand":
            # The profile without its type (rejected by the API server). A bare string
            # (`seccompProfile: RuntimeDefault`) would be the other common slip, but it crashes
            # checkov's CKV_K8S_31 (AttributeError) and so the whole reference run.
            pod_sc["seccompProfile"] = {"localhostProfile": "profiles/audit.json"}
        elif scen == "pod-unconfined":
            pod_sc["seccompProfile"] = {"type": "Unconfined"}
        elif scen in ("windows", "windows-with-seccomp"):
            spec_extra["os"] = {"name": "windows"}
            spec_extra["nodeSelector"] = {"kubernetes.io/os": "windows"}
            if scen == "windows-with-seccomp":
                pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        elif scen == "flow-style":
            pod_sc["seccompProfile"] = Flow({"type": "RuntimeDefault"})
        elif scen == "anchors":
            shared = {
                "allowPrivilegeEscalation": False,
                "capabilities": Flow({"drop": ["ALL"]}),
                "seccompProfile": {"type": "RuntimeDefault"},
            }
            for i in range(n):
                csc[i] = (
                    Anchor("sc", shared)
                    if i == 0
                    else {"<<": Alias("sc"), "readOnlyRootFilesystem": True}
                    if rng.random() < 0.5
                    else Alias("sc")
                )
        elif scen == "suppressed":
            wl_ann["ignore-check.seccomp-lint.io/missing-seccomp-profile"] = (
                "vendor image, profile pending"
            )
        if rng.random() < 0.02 and not isinstance(csc[0], (Anchor, Alias)):
            # privileged, whatever the profile; sometimes as YAML 1.1 ``yes``
            csc[0] = {**(csc[0] or {}), "privileged": rng.choice((True, True, Plain("yes")))}
        spec: dict = {}
        if rng.random() < 0.6:
            spec["serviceAccountName"] = name
        if rng.random() < 0.15:
            spec["initContainers"] = [
                self.container(
                    "init-" + rng.choice(("db", "config", "perms", "wait")),
                    None if rng.random() < 0.7 else self.base_sc(),
                    init=True,
                )
            ]
            if rng.random() < 0.2:
                spec["initContainers"][0]["restartPolicy"] = "Always"  # a native sidecar
        spec["containers"] = [self.container(names[i], csc[i]) for i in range(n)]
        if pod_sc:
            spec["securityContext"] = pod_sc
        if restart:
            spec["restartPolicy"] = restart
        spec.update(spec_extra)
        if rng.random() < 0.3:
            spec["terminationGracePeriodSeconds"] = rng.choice((10, 30, 60))
        if rng.random() < 0.3:
            spec["tolerations"] = [
                {
                    "key": "dedicated",
                    "operator": "Equal",
                    "value": rng.choice(("infra", "gpu", "batch")),
                    "effect": "NoSchedule",
                }
            ]
        if rng.random() < 0.2:
            spec["affinity"] = {
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "podAffinityTerm": {
                                "labelSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                                "topologyKey": "kubernetes.io/hostname",
                            },
                        }
                    ]
                }
            }
        if rng.random() < 0.5:
            vols = []
            for i in range(rng.randint(1, 4)):
                kind = rng.choice(("configMap", "secret", "emptyDir", "pvc"))
                if kind == "configMap":
                    vols.append({"name": f"config{i}", "configMap": {"name": name + "-config"}})
                elif kind == "secret":
                    vols.append(
                        {
                            "name": f"certs{i}",
                            "secret": {
                                "secretName": name + "-tls",
                                "defaultMode": rng.choice((420, 0o400)),
                            },
                        }
                    )
                elif kind == "emptyDir":
                    vols.append({"name": f"tmp{i}", "emptyDir": {}})
                else:
                    vols.append(
                        {"name": f"data{i}", "persistentVolumeClaim": {"claimName": name + "-data"}}
                    )
            spec["volumes"] = vols
        return spec, tmpl_ann, wl_ann

    def meta(
        self, name: str, ns: str | None, chart: str | None = None, ann: dict | None = None
    ) -> dict:
        m: dict = {"name": name}
        if ns:
            m["namespace"] = ns
        m["labels"] = self.labels(name, chart)
        if ann:
            m["annotations"] = ann
        return m

    def workload(self, kind: str, ns: str | None, chart: str | None = None) -> dict:
        rng = self.rng
        name = self.app_name()
        restart = (
            "OnFailure"
            if kind in ("Job", "CronJob")
            else ("Never" if kind == "Pod" and rng.random() < 0.5 else None)
        )
        spec, tann, wann = self.pod_spec(name, restart)
        if chart and rng.random() < 0.6:
            tann = {"checksum/config": self.hexdigest(), **tann}
        if rng.random() < 0.2:
            tann = {
                "prometheus.io/scrape": Quoted("true"),
                "prometheus.io/port": Quoted("9090"),
                **tann,
            }
        sel = {"matchLabels": {"app.kubernetes.io/name": name}}
        tmeta: dict = {"labels": {"app.kubernetes.io/name": name}}
        if tann:
            tmeta["annotations"] = tann
        template = {"metadata": tmeta, "spec": spec}
        if kind == "Pod":
            m = self.meta(name, ns, chart, {**tann, **wann} or None)
            return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec}
        m = self.meta(name, ns, chart, wann or None)
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            s: dict = {}
            if kind != "DaemonSet":
                s["replicas"] = rng.choice((1, 2, 3, 5))
            if kind == "StatefulSet":
                s["serviceName"] = name
            s["selector"] = sel
            if kind == "Deployment" and rng.random() < 0.4:
                s["strategy"] = {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": Quoted("25%"), "maxUnavailable": 0},
                }
            s["template"] = template
            if kind == "StatefulSet" and rng.random() < 0.6:
                s["volumeClaimTemplates"] = [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {
                                "requests": {"storage": rng.choice(("1Gi", "10Gi", "100Gi"))}
                            },
                        },
                    }
                ]
            return {"apiVersion": "apps/v1", "kind": kind, "metadata": m, "spec": s}
        if kind == "Job":
            return {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": m,
                "spec": {"backoffLimit": rng.choice((0, 3, 6)), "template": template},
            }
        if kind == "CronJob":
            return {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": m,
                "spec": {
                    "schedule": Quoted(
                        rng.choice(("*/5 * * * *", "0 3 * * *", "@hourly", "15 2 * * 0"))
                    ),
                    "concurrencyPolicy": "Forbid",
                    "jobTemplate": {"spec": {"template": template}},
                },
            }
        if kind == "Rollout":
            return {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Rollout",
                "metadata": m,
                "spec": {
                    "replicas": 3,
                    "selector": sel,
                    "template": template,
                    "strategy": {
                        "canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "10m"}}]}
                    },
                },
            }
        if kind == "KnativeService":
            return {
                "apiVersion": "serving.knative.dev/v1",
                "kind": "Service",
                "metadata": m,
                "spec": {"template": template},
            }
        raise ValueError(kind)

    WORKLOAD_KINDS = (
        ("Deployment", 45),
        ("StatefulSet", 10),
        ("DaemonSet", 8),
        ("Job", 8),
        ("CronJob", 8),
        ("Pod", 10),
        ("ReplicaSet", 1),
        ("Rollout", 2),
        ("KnativeService", 2),
    )

    def workload_kind(self) -> str:
        return self.rng.choices(
            [k for k, _ in self.WORKLOAD_KINDS], [w for _, w in self.WORKLOAD_KINDS]
        )[0]

    def other_object(self, ns: str | None, chart: str | None = None) -> dict:
        rng = self.rng
        name = self.app_name()
        kind = rng.choices(
            (
                "ConfigMap",
                "Service",
                "ServiceAccount",
                "Secret",
                "Role",
                "ClusterRole",
                "RoleBinding",
                "Ingress",
                "NetworkPolicy",
                "PodDisruptionBudget",
                "HorizontalPodAutoscaler",
                "CustomResource",
                "SeccompProfile",
                "PodMonitor",
            ),
            (22, 22, 10, 5, 6, 5, 6, 6, 5, 4, 4, 6, 1, 2),
        )[0]
        m = self.meta(name, ns, chart)
        if kind == "ConfigMap":
            data: dict = {}
            for i in range(rng.randint(1, 6)):
                r = rng.random()
                if r < 0.5:
                    data[
                        rng.choice(("LOG_LEVEL", "MODE", "REGION", "REPLICAS", "ENABLED")) + str(i)
                    ] = rng.choice(("info", Quoted("3"), Quoted("true"), "eu-west-1", "on-demand"))
                elif r < 0.8:
                    lines = [
                        f"{rng.choice(NAME_PARTS_A)}.{rng.choice(('timeout', 'enabled', 'url', 'size'))} = {rng.randint(0, 1000)}"
                        for _ in range(rng.randint(3, 40))
                    ]
                    data[f"app{i}.properties"] = "\n".join(lines) + "\n"
                elif r < 0.95:
                    conf = {
                        "server": {"port": rng.randint(1000, 9999), "host": "0.0.0.0"},
                        "features": {w: rng.random() < 0.5 for w in rng.sample(NAME_PARTS_A, 5)},
                        "message": "héllo wörld ✓" if rng.random() < 0.2 else "hello",
                    }
                    data[f"config{i}.json"] = json.dumps(conf, indent=2, ensure_ascii=False) + "\n"
                else:
                    data[f"run{i}.sh"] = "#!/bin/sh\nset -eu\n" + "".join(
                        f"echo step {j}: {self.words(2, 6)}\n" for j in range(rng.randint(2, 20))
                    )
            return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data}
        if kind == "Service":
            return {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": m,
                "spec": {
                    "type": rng.choice(("ClusterIP", "ClusterIP", "NodePort", "LoadBalancer")),
                    "selector": {"app.kubernetes.io/name": name},
                    "ports": [
                        {
                            "name": "http",
                            "port": 80,
                            "targetPort": rng.choice(("http", 8080)),
                            "protocol": "TCP",
                        }
                    ],
                },
            }
        if kind == "ServiceAccount":
            return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": m}
        if kind == "Secret":
            return {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": m,
                "type": "Opaque",
                "data": {"token": f"{rng.getrandbits(384):096x}", "password": "cGFzc3dvcmQ="},
            }
        if kind in ("Role", "ClusterRole"):
            if kind == "ClusterRole":
                m.pop("namespace", None)
            rules = [
                {
                    "apiGroups": [
                        rng.choice(
                            ("", "apps", "batch", "networking.k8s.io", rng.choice(GROUP_DOMAINS))
                        )
                    ],
                    "resources": rng.sample(
                        (
                            "pods",
                            "deployments",
                            "services",
                            "configmaps",
                            "secrets",
                            "events",
                            "leases",
                            "jobs",
                            "statefulsets",
                        ),
                        rng.randint(1, 4),
                    ),
                    "verbs": rng.sample(
                        ("get", "list", "watch", "create", "update", "patch", "delete"),
                        rng.randint(1, 7),
                    ),
                }
                for _ in range(rng.randint(1, 12))
            ]
            return {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": kind,
                "metadata": m,
                "rules": rules,
            }
        if kind == "RoleBinding":
            return {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": m,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [
                    {"kind": "ServiceAccount", "name": name, "namespace": ns or "default"}
                ],
            }
        if kind == "Ingress":
            return {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "Ingress",
                "metadata": m,
                "spec": {
                    "ingressClassName": "nginx",
                    "rules": [
                        {
                            "host": f"{name}.example.com",
                            "http": {
                                "paths": [
                                    {
                                        "path": "/",
                                        "pathType": "Prefix",
                                        "backend": {
                                            "service": {"name": name, "port": {"number": 80}}
                                        },
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        if kind == "NetworkPolicy":
            return {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": m,
                "spec": {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": "ingress-nginx"
                                        }
                                    }
                                }
                            ]
                        }
                    ],
                },
            }
        if kind == "PodDisruptionBudget":
            return {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": m,
                "spec": {
                    "minAvailable": 1,
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                },
            }
        if kind == "HorizontalPodAutoscaler":
            return {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": m,
                "spec": {
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                    "minReplicas": 1,
                    "maxReplicas": 10,
                    "metrics": [
                        {
                            "type": "Resource",
                            "resource": {
                                "name": "cpu",
                                "target": {"type": "Utilization", "averageUtilization": 80},
                            },
                        }
                    ],
                },
            }
        if kind == "SeccompProfile":
            return {
                "apiVersion": "security-profiles-operator.x-k8s.io/v1beta1",
                "kind": "SeccompProfile",
                "metadata": m,
                "spec": {
                    "defaultAction": rng.choice(
                        ("SCMP_ACT_ERRNO", "SCMP_ACT_ERRNO", "SCMP_ACT_LOG", "SCMP_ACT_ALLOW")
                    ),
                    "architectures": ["SCMP_ARCH_X86_64"],
                    "syscalls": [
                        {
                            "action": "SCMP_ACT_ALLOW",
                            "names": rng.sample(
                                (
                                    "read",
                                    "write",
                                    "openat",
                                    "close",
                                    "mmap",
                                    "futex",
                                    "epoll_wait",
                                    "accept4",
                                    "exit_group",
                                    "brk",
                                    "rt_sigaction",
                                ),
                                6,
                            ),
                        }
                    ],
                },
            }
        if kind == "PodMonitor":
            return {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PodMonitor",
                "metadata": m,
                "spec": {
                    "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}],
                },
            }
        # an instance of some custom resource
        stem = rng.choice(PLURAL_STEMS)
        return {
            "apiVersion": f"{stem}s.{rng.choice(GROUP_DOMAINS)}/v1beta1",
            "kind": title(stem),
            "metadata": m,
            "spec": {
                camel(rng.choice(NAME_PARTS_A), "enabled"): rng.random() < 0.5,
                "size": rng.randint(1, 9),
                "target": {"name": self.app_name()},
            },
        }

    # -- CRD schemas --------------------------------------------------------------------------
    def field_name(self) -> str:
        rng = self.rng
        return camel(
            *rng.choices(
                (
                    "backoff",
                    "retry",
                    "max",
                    "min",
                    "target",
                    "source",
                    "pod",
                    "node",
                    "service",
                    "endpoint",
                    "secret",
                    "config",
                    "tls",
                    "auth",
                    "storage",
                    "log",
                    "metrics",
                    "health",
                    "sync",
                    "update",
                    "schedule",
                    "timeout",
                    "interval",
                    "replica",
                    "volume",
                    "resource",
                    "policy",
                    "rule",
                    "route",
                    "header",
                    "cert",
                    "issuer",
                    "owner",
                    "tenant",
                    "window",
                    "limit",
                    "selector",
                    "template",
                    "strategy",
                    "phase",
                    "observed",
                    "last",
                    "ready",
                    "name",
                    "ref",
                    "count",
                    "seconds",
                    "enabled",
                    "mode",
                    "path",
                    "url",
                    "port",
                    "host",
                    "key",
                    "value",
                    "labels",
                    "annotations",
                    "conditions",
                    "items",
                    "spec",
                    "status",
                    "type",
                    "version",
                ),
                k=rng.choices((1, 2, 3), (25, 55, 20))[0],
            )
        )

    def schema(self, budget: int, depth: int) -> tuple[dict, int]:
        """An object schema of roughly ``budget`` bytes; returns (schema, estimated bytes)."""
        rng = self.rng
        props: dict = {}
        used = 0
        required = []
        while used < budget and len(props) < 60:
            fname = self.field_name()
            if fname in props:
                continue
            desc = self.description()
            node: dict = {"description": desc}
            cost = len(desc) + 30 + 8 * depth
            r = rng.random()
            sub_budget = min(budget - used, rng.randint(200, 40_000))
            if depth < 9 and r < 0.22 and sub_budget > 600:
                sub, c = self.schema(sub_budget, depth + 1)
                node.update(sub)
                cost += c
            elif depth < 9 and r < 0.32 and sub_budget > 600:
                sub, c = self.schema(sub_budget, depth + 2)
                node["items"] = sub
                node["type"] = "array"
                if rng.random() < 0.4:
                    node["x-kubernetes-list-type"] = rng.choice(("atomic", "map", "set"))
                cost += c + 20
            elif r < 0.55:
                node["type"] = "string"
                if rng.random() < 0.2:
                    node["enum"] = rng.sample(
                        (
                            "Always",
                            "Never",
                            "IfNotPresent",
                            "Retain",
                            "Delete",
                            "Recycle",
                            "Enabled",
                            "Disabled",
                            "Auto",
                            "Manual",
                            "Strict",
                            "Permissive",
                        ),
                        rng.randint(2, 5),
                    )
                elif rng.random() < 0.15:
                    node["format"] = rng.choice(("date-time", "byte", "uri", "hostname"))
                elif rng.random() < 0.1:
                    node["pattern"] = Quoted(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "'")
                cost += 40
            elif r < 0.7:
                node["type"] = "integer"
                node["format"] = rng.choice(("int32", "int64"))
                if rng.random() < 0.3:
                    node["minimum"] = 0
                cost += 40
            elif r < 0.8:
                node["type"] = "boolean"
            elif r < 0.86:
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
                node["x-kubernetes-int-or-string"] = True
                cost += 60
            elif r < 0.93:
                node["type"] = "object"
                node["additionalProperties"] = {"type": "string"}
                cost += 40
            else:
                node["type"] = "object"
                node["x-kubernetes-preserve-unknown-fields"] = True
                cost += 40
            props[fname] = node
            used += cost
            if rng.random() < 0.15:
                required.append(fname)
        out: dict = {"type": "object", "properties": dict(sorted(props.items()))}
        if required:
            out["required"] = sorted(required)
        return out, used + 30

    def pod_schema_text(self) -> str:
        """A PodSpec-like schema (as operators embed in CRDs), emitted once and reused."""
        if self._pod_schema is None:
            rng = self.rng

            def typed(t, **kw):
                return {"description": self.description(), "type": t, **kw}

            seccomp = typed(
                "object",
                properties={
                    "localhostProfile": typed("string"),
                    "type": typed("string"),
                },
                required=["type"],
            )
            csc = typed(
                "object",
                properties=dict(
                    sorted(
                        {
                            "allowPrivilegeEscalation": typed("boolean"),
                            "capabilities": typed(
                                "object",
                                properties={
                                    "add": typed("array", items={"type": "string"}),
                                    "drop": typed("array", items={"type": "string"}),
                                },
                            ),
                            "privileged": typed("boolean"),
                            "readOnlyRootFilesystem": typed("boolean"),
                            "runAsNonRoot": typed("boolean"),
                            "runAsUser": typed("integer", format="int64"),
                            "seccompProfile": seccomp,
                            "seLinuxOptions": typed(
                                "object",
                                properties={
                                    k: typed("string") for k in ("level", "role", "type", "user")
                                },
                            ),
                        }.items()
                    )
                ),
            )
            cont_props = {
                "args": typed("array", items={"type": "string"}),
                "command": typed("array", items={"type": "string"}),
                "env": typed(
                    "array",
                    items={
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": typed("string"),
                            "value": typed("string"),
                            "valueFrom": self.schema(6000, 5)[0],
                        },
                    },
                ),
                "image": typed("string"),
                "imagePullPolicy": typed("string"),
                "livenessProbe": self.schema(9000, 5)[0],
                "name": typed("string"),
                "ports": typed("array", items=self.schema(2500, 6)[0]),
                "readinessProbe": self.schema(9000, 5)[0],
                "resources": self.schema(3000, 5)[0],
                "securityContext": csc,
                "volumeMounts": typed("array", items=self.schema(2500, 6)[0]),
            }
            container = {
                "type": "object",
                "required": ["name"],
                "properties": dict(sorted(cont_props.items())),
            }
            pod_sc = typed(
                "object",
                properties={
                    "fsGroup": typed("integer", format="int64"),
                    "runAsNonRoot": typed("boolean"),
                    "runAsUser": typed("integer", format="int64"),
                    "seccompProfile": seccomp,
                },
            )
            props = {
                "affinity": self.schema(30_000, 4)[0],
                "containers": typed("array", items=container),
                "ephemeralContainers": typed("array", items=container),
                "initContainers": typed("array", items=container),
                "nodeSelector": typed("object", additionalProperties={"type": "string"}),
                "restartPolicy": typed("string"),
                "securityContext": pod_sc,
                "serviceAccountName": typed("string"),
                "tolerations": typed("array", items=self.schema(3000, 5)[0]),
                "volumes": typed("array", items=self.schema(40_000, 5)[0]),
            }
            schema = {
                "description": self.description(),
                "type": "object",
                "required": ["containers"],
                "properties": props,
            }
            self._pod_schema = Emitter(rng, seq_indent=0).doc(schema).rstrip("\n")
            _ = rng.random()
        return self._pod_schema

    def light_pod_schema_text(self) -> str:
        if self._light_pod is None:

            def typed(t, **kw):
                return {"description": self.sentence(4, 16), "type": t, **kw}

            container = typed(
                "object",
                required=["name"],
                properties={
                    "image": typed("string"),
                    "name": typed("string"),
                    "resources": self.schema(2000, 6)[0],
                    "securityContext": typed(
                        "object",
                        properties={
                            "privileged": typed("boolean"),
                            "runAsNonRoot": typed("boolean"),
                            "seccompProfile": typed(
                                "object",
                                required=["type"],
                                properties={
                                    "localhostProfile": typed("string"),
                                    "type": typed("string"),
                                },
                            ),
                        },
                    ),
                },
            )
            schema = {
                "type": "object",
                "properties": {
                    "containers": typed("array", items=container),
                    "initContainers": typed("array", items=container),
                    "securityContext": typed("object", x_kubernetes_preserve_unknown_fields=True),
                    "serviceAccountName": typed("string"),
                },
            }
            self._light_pod = (
                Emitter(self.rng).doc(schema).rstrip("\n").replace("x_kubernetes_", "x-kubernetes-")
            )
        return self._light_pod

    def crd(self, target: int, chart: str | None = None) -> dict:
        rng = self.rng
        stem = rng.choice(PLURAL_STEMS) + rng.choice(
            ("", "", "set", "binding", "claim", "class", "config")
        )
        group = f"{rng.choice(('', 'core.', 'infra.', 'apps.', 'ops.'))}{rng.choice(GROUP_DOMAINS)}"
        kind = title(stem)
        plural = stem + ("es" if stem.endswith(("s", "x")) else "s")
        n_versions = rng.choices((1, 2, 3), (60, 30, 10))[0]
        # Operators' CRDs embed pod templates: the full PodSpec schema in big CRDs, a slimmer
        # containers/securityContext/seccompProfile subset in smaller ones.
        full = len(self.pod_schema_text())
        pod = None
        if target // n_versions > 1.2 * full and rng.random() < 0.6:
            pod = self.pod_schema_text()
        elif rng.random() < 0.25:
            pod = self.light_pod_schema_text()
        per_version = max(1500, target // n_versions - (len(pod) if pod else 0))
        spec_schema, _ = self.schema(per_version * 45 // 100, 2)
        if pod:
            key = rng.choice(("template", "podTemplate", "jobTemplate", "workerTemplate"))
            spec_schema["properties"][key] = {
                "description": self.description(),
                "type": "object",
                "properties": {
                    "metadata": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                    "spec": Raw(pod),
                },
            }
            spec_schema["properties"] = dict(sorted(spec_schema["properties"].items()))
        status_schema, _ = self.schema(per_version * 10 // 100, 2)
        status_schema["properties"]["conditions"] = {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status", "type"],
                "properties": {
                    k: {"description": self.description(), "type": "string"}
                    for k in ("lastTransitionTime", "message", "reason", "status", "type")
                },
            },
            "x-kubernetes-list-map-keys": ["type"],
            "x-kubernetes-list-type": "map",
        }
        top = {
            "description": f"{kind} is the Schema for the {plural} API.",
            "type": "object",
            "properties": {
                "apiVersion": {
                    "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
                    "type": "string",
                },
                "kind": {
                    "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
                    "type": "string",
                },
                "metadata": {"type": "object"},
                "spec": spec_schema,
                "status": status_schema,
            },
        }
        em = Emitter(rng, seq_indent=0, folded_descriptions=rng.random() < 0.3)
        schema_text = em.doc(top).rstrip("\n")
        versions = []
        names = ["v1", "v1beta1", "v1alpha1"][:n_versions]
        for i, v in enumerate(names):
            ver: dict = {"name": v}
            if rng.random() < 0.5:
                ver["additionalPrinterColumns"] = [
                    {
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                        "name": "Ready",
                        "type": "string",
                    },
                    {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
                ]
            ver["schema"] = {"openAPIV3Schema": Raw(schema_text)}
            ver["served"] = True
            ver["storage"] = i == 0
            ver["subresources"] = {"status": {}}
            versions.append(ver)
        ann = {
            "controller-gen.kubebuilder.io/version": rng.choice(
                ("v0.14.0", "v0.15.0", "v0.16.5", "v0.17.2")
            )
        }
        meta: dict = {"annotations": ann, "name": f"{plural}.{group}"}
        if chart:
            meta["labels"] = self.labels(plural, chart)
        return {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": meta,
            "spec": {
                "group": group,
                "names": {
                    "kind": kind,
                    "listKind": kind + "List",
                    "plural": plural,
                    "singular": stem,
                    **({"shortNames": [stem[:3]]} if rng.random() < 0.4 else {}),
                },
                "scope": rng.choice(("Namespaced", "Cluster")),
                "versions": versions,
            },
        }

    # -- documents and files ------------------------------------------------------------------
    def emitter(self, comments: float = 0.0) -> Emitter:
        rng = self.rng
        return Emitter(rng, seq_indent=rng.choice((0, 2)), comments=comments)

    def stream(
        self, docs: list[str], leading: bool, headers: list[str | None] | None = None
    ) -> str:
        parts = []
        for i, d in enumerate(docs):
            head = headers[i] if headers else None
            sep = "---\n" if (i > 0 or leading) else ""
            parts.append(sep + (head + "\n" if head else "") + d)
        return "".join(parts)

    def small_manifest(self) -> tuple[str, str]:
        """(relative file name, text) for a small hand-written manifest file."""
        rng = self.rng
        ns = rng.choice((None, None, "default", "prod", "monitoring", "apps", "kube-system"))
        em = self.emitter(comments=rng.choice((0.0, 0.0, 0.02, 0.08)))
        if rng.random() < 0.3:
            return self.tiny_manifest(em, ns)
        r = rng.random()
        docs: list[str] = []
        if r < 0.55:
            kind = self.workload_kind()
            wl = self.workload(kind, ns)
            docs.append(em.doc(wl))
            name = wl["metadata"]["name"]
            fname = kind.lower().replace("knativeservice", "ksvc")
            if rng.random() < 0.5:
                for _ in range(rng.randint(1, 3)):
                    docs.append(em.doc(self.other_object(ns)))
                fname = name
            text = self.stream(docs, rng.random() < 0.3)
            return f"{name}/{fname}.yaml", self._header(text)
        if r < 0.85:
            n = rng.randint(1, 4)
            objs = [self.other_object(ns) for _ in range(n)]
            text = self.stream([em.doc(o) for o in objs], rng.random() < 0.3)
            return f"{objs[0]['metadata']['name']}/{objs[0]['kind'].lower()}.yaml", self._header(
                text
            )
        if r < 0.9:
            items = [self.workload(self.workload_kind(), ns) for _ in range(rng.randint(2, 5))] + [
                self.other_object(ns) for _ in range(rng.randint(0, 3))
            ]
            lst = {
                "apiVersion": "v1",
                "kind": "List",
                "items": items,
                "metadata": {"resourceVersion": ""},
            }
            if rng.random() < 0.5:
                return f"lists/{self.app_name()}-list.json", json.dumps(
                    _plain(lst), indent=rng.choice((2, 4))
                ) + "\n"
            return f"lists/{self.app_name()}-list.yaml", em.doc(lst)
        if r < 0.94:
            res = [f"{self.app_name()}.yaml" for _ in range(rng.randint(1, 6))]
            k = {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "namespace": ns or "default",
                "resources": res,
            }
            if rng.random() < 0.4:
                k["patches"] = [{"path": "patch-seccomp.yaml", "target": {"kind": "Deployment"}}]
            if rng.random() < 0.4:
                k["images"] = [
                    {
                        "name": rng.choice(IMAGES),
                        "newTag": Quoted(f"{rng.randint(1, 9)}.{rng.randint(0, 9)}"),
                    }
                ]
            return (
                f"overlays/{rng.choice(('prod', 'staging', 'dev'))}-{rng.randint(0, 999)}/kustomization.yaml",
                em.doc(k),
            )
        if r < 0.975:
            return f"charts/{self.app_name()}/values.yaml", self.values_file()
        return f"charts/{self.app_name()}/templates/deployment.yaml", self.unrendered_template()

    def tiny_manifest(self, em: Emitter, ns: str | None) -> tuple[str, str]:
        """The many few-hundred-byte files of real repositories (examples, kustomize bases)."""
        rng = self.rng
        name = self.app_name()
        r = rng.random()
        if r < 0.35:
            c: dict = {"name": name, "image": self.image()}
            if rng.random() < 0.5:
                c["ports"] = [{"containerPort": 8080}]
            spec: dict = {"containers": [c]}
            scen = rng.random()
            if scen < 0.25:
                spec["securityContext"] = {"seccompProfile": {"type": "RuntimeDefault"}}
            elif scen < 0.3:
                c["securityContext"] = {
                    "seccompProfile": {
                        "type": rng.choice(("Unconfined", "Localhost", "runtime/default"))
                    }
                }
            kind = rng.choice(("Pod", "Deployment"))
            if kind == "Pod":
                obj = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}
            else:
                obj = {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": name},
                    "spec": {
                        "selector": {"matchLabels": {"app": name}},
                        "template": {"metadata": {"labels": {"app": name}}, "spec": spec},
                    },
                }
        elif r < 0.55:
            obj = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name},
                "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
            }
        elif r < 0.7:
            obj = {
                "apiVersion": "v1",
                "kind": rng.choice(("ServiceAccount", "Namespace")),
                "metadata": {"name": name},
            }
        elif r < 0.85:
            obj = {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [f"{self.app_name()}.yaml" for _ in range(rng.randint(1, 4))],
            }
            return f"{name}/kustomization.yaml", em.doc(obj)
        else:
            obj = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name},
                "data": {"key": rng.choice(("value", Quoted("1"), Plain("0755"), Plain("yes")))},
            }
        if ns and rng.random() < 0.5 and obj["kind"] != "Namespace":
            obj["metadata"]["namespace"] = ns
        return f"{name}/{obj['kind'].lower()}.yaml", em.doc(obj)

    def _header(self, text: str) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return (
                "# "
                + self.sentence(4, 12)
                + "\n# Copyright 2024 The Authors. Licensed under the Apache License, Version 2.0.\n"
                + text
            )
        return text

    def values_file(self) -> str:
        rng = self.rng
        lines = [
            "# Default values for the chart.",
            "# This is a YAML-formatted file.",
            "",
            f"replicaCount: {rng.randint(1, 3)}",
            "",
            "image:",
            f"  repository: {rng.choice(REGISTRIES)}/{rng.choice(IMAGES)}",
            "  pullPolicy: IfNotPresent",
            '  tag: ""',
            "",
        ]
        lines += [
            "podSecurityContext: {}",
            "  # fsGroup: 2000",
            "",
            "securityContext: {}",
            "  # capabilities:",
            "  #   drop:",
            "  #   - ALL",
            "  # seccompProfile:",
            "  #   type: RuntimeDefault",
            "",
        ]
        seen = {"replicaCount", "image", "podSecurityContext", "securityContext"}
        for _ in range(rng.randint(5, 40)):
            key = self.field_name()
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"# {self.sentence(3, 12)}")
            lines.append(f"{key}:")
            inner: set[str] = set()
            for _ in range(rng.randint(1, 6)):
                sub = self.field_name()
                if sub in inner:
                    continue
                inner.add(sub)
                value = rng.choice(("true", "false", "10", '""', "[]", "{}", "info", "30s"))
                lines.append(f"  {sub}: {value}")
            lines.append("")
        return "\n".join(lines) + "\n"

    def unrendered_template(self) -> str:
        return (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            '  name: {{ include "chart.fullname" . }}\n  labels:\n    {{- include "chart.labels" . | nindent 4 }}\n'
            "spec:\n  {{- if not .Values.autoscaling.enabled }}\n  replicas: {{ .Values.replicaCount }}\n  {{- end }}\n"
            '  selector:\n    matchLabels:\n      {{- include "chart.selectorLabels" . | nindent 6 }}\n'
            "  template:\n    spec:\n      securityContext:\n        {{- toYaml .Values.podSecurityContext | nindent 8 }}\n"
            "      containers:\n        - name: {{ .Chart.Name }}\n          securityContext:\n"
            "            {{- toYaml .Values.securityContext | nindent 12 }}\n"
            '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"\n'
        )

    def broken_file(self) -> str:
        rng = self.rng
        return rng.choice(
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  key: value\n   bad: indentation\n",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n\tname: tabs-are-not-indentation\n",
                "apiVersion: v1\nkind: Pod\nmetadata: {name: unclosed\nspec:\n  containers: []\n",
            )
        )

    def helm_stream(self, target: int) -> str:
        rng = self.rng
        chart = self.app_name()
        ns = rng.choice(("default", "monitoring", chart))
        em = self.emitter()
        docs, heads = [], []
        size = 0
        with_crds = rng.random() < 0.3
        while size < target:
            r = rng.random()
            if with_crds and r < 0.15:
                obj = self.crd(rng.randint(20_000, 200_000), chart)
                tpl = f"crds/{obj['spec']['names']['plural']}.yaml"
            elif r < 0.45:
                obj = self.workload(self.workload_kind(), ns, chart)
                tpl = f"templates/{obj['kind'].lower()}.yaml"
            else:
                obj = self.other_object(ns, chart)
                tpl = f"templates/{obj['kind'].lower()}.yaml"
            d = em.doc(obj)
            docs.append(d)
            heads.append(f"# Source: {chart}/{tpl}")
            size += len(d)
        return self.stream(docs, True, heads)

    def bundle(self, target: int) -> str:
        """A big install bundle: CRDs first, then namespace, RBAC, config and workloads."""
        rng = self.rng
        ns = rng.choice(("system", "operators", "platform")) + "-" + rng.choice(NAME_PARTS_A)
        em = self.emitter(comments=0.0)
        docs = [
            em.doc(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": ns,
                        "labels": {
                            "pod-security.kubernetes.io/enforce": rng.choice(
                                ("restricted", "baseline")
                            )
                        },
                    },
                }
            )
        ]
        size = len(docs[0])
        crd_part = target * rng.uniform(0.75, 0.92)
        while size < crd_part:
            d = em.doc(self.crd(int(min(max(8_000, rng.lognormvariate(10.6, 1.2)), 1_500_000))))
            docs.append(d)
            size += len(d)
        while size < target:
            obj = (
                self.workload(self.workload_kind(), ns)
                if rng.random() < 0.35
                else self.other_object(ns)
            )
            d = em.doc(obj)
            docs.append(d)
            size += len(d)
        text = self.stream(docs, rng.random() < 0.5)
        if rng.random() < 0.5:
            text = "# This file is generated. DO NOT EDIT.\n" + text
        return text


def _plain(v):
    """Wrapper objects to plain JSON-able values (for the JSON files)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, (Flow, Anchor)):
        return _plain(v.value)
    if isinstance(v, Quoted):
        return v.s
    if isinstance(v, Plain):
        return {"yes": True}.get(v.s, v.s)
    if isinstance(v, Alias):
        return {"type": "RuntimeDefault"}
    return v


# ---------------------------------------------------------------------------------------------
# The corpus


def generator_hash() -> str:
    with open(__file__, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def plan(gen: Gen, total: int):
    """Yield (relative path, bytes) until ``total`` bytes are produced."""
    rng = gen.rng
    n_repos = max(3, min(len(REPOS), total // (4 * MB) + 2))
    repos = REPOS[:n_repos]
    used: set[str] = set()

    def unique(path: str) -> str:
        base, ext = os.path.splitext(path)
        cand, i = path, 1
        while cand in used:
            i += 1
            cand = f"{base}-{i}{ext}"
        used.add(cand)
        return cand

    def encode(text: str) -> bytes:
        r = rng.random()
        if r < 0.01:
            text = text.replace("\n", "\r\n")
        data = text.encode("utf-8")
        if r > 0.998:
            data = b"\xef\xbb\xbf" + data
        return data

    produced = 0
    budgets = [("bundle", 0.25), ("crd", 0.35), ("helm", 0.15), ("small", 0.25)]
    for cat, share in budgets:
        budget = int(total * share) if cat != "small" else total - produced
        spent = 0
        while spent < budget and produced < total:
            repo = rng.choice(repos)
            if cat == "bundle":
                size = (
                    min(budget - spent, int(rng.uniform(2, 6) * MB))
                    if budget - spent > 1.5 * MB
                    else budget - spent
                )
                text = gen.bundle(max(size, 50_000))
                path = f"{repo}/{rng.choice(('manifests', 'deploy', 'dist', 'config/release'))}/{rng.choice(('install', 'install-ha', 'bundle', 'operator', 'release'))}.yaml"
            elif cat == "crd":
                size = int(min(max(3_000, rng.lognormvariate(10.4, 1.2)), 1_500_000))
                em = gen.emitter()
                crd = gen.crd(size)
                text = em.doc(crd)
                plural, group = crd["spec"]["names"]["plural"], crd["spec"]["group"]
                where = rng.choice(
                    (
                        "config/crd/bases",
                        "charts/" + gen.app_name() + "/crds",
                        "deploy/crds",
                        "manifests/crds",
                    )
                )
                text = ("---\n" if rng.random() < 0.4 else "") + text
                path = f"{repo}/{where}/{group}_{plural}.yaml"
            elif cat == "helm":
                size = int(min(max(10_000, rng.lognormvariate(11.5, 1.0)), 800_000))
                text = gen.helm_stream(size)
                path = f"{repo}/{rng.choice(('tests/golden', 'rendered', 'charts/testdata'))}/{gen.app_name()}.golden.yaml"
            else:
                if rng.random() < 0.001 or (spent == 0 and total >= 5 * MB):
                    text = gen.broken_file()
                    path = f"{repo}/tests/testdata/invalid-{rng.randint(0, 999)}.yaml"
                else:
                    rel, text = gen.small_manifest()
                    path = f"{repo}/{rng.choice(('deploy', 'examples', 'k8s', 'manifests', 'apps'))}/{rel}"
                    if rel.endswith(".yaml") and rng.random() < 0.1:
                        path = path[:-5] + ".yml"
            data = encode(text)
            path = unique(path)
            yield path, data
            spent += len(data)
            produced += len(data)
    # a hidden directory, as repositories have (.github); linters skip it
    yield (
        unique(f"{repos[0]}/.github/workflows/ci.yaml"),
        b"name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
    )


def generate(out: str, mb: float, seed: int, quiet: bool = False) -> dict:
    total = int(mb * MB)
    gen = Gen(seed)
    files = 0
    size = 0
    big = 0
    for rel, data in plan(gen, total):
        full = os.path.join(out, *rel.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
        files += 1
        size += len(data)
        big += len(data) >= MB
        if not quiet and files % 500 == 0:
            print(f"  {files} files, {size / MB:.1f} MB", file=sys.stderr)
    stamp = {
        "generator_sha256": generator_hash(),
        "seed": seed,
        "mb": mb,
        "files": files,
        "bytes": size,
    }
    with open(os.path.join(out, STAMP), "w") as f:
        json.dump(stamp, f, indent=2, sort_keys=True)
        f.write("\n")
    if not quiet:
        print(
            f"wrote {files} files, {size / MB:.1f} MB ({big} files >= 1 MB) to {out}",
            file=sys.stderr,
        )
    return stamp


def read_stamp(out: str) -> dict | None:
    try:
        with open(os.path.join(out, STAMP)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        description="Generate a deterministic synthetic Kubernetes manifest corpus."
    )
    p.add_argument(
        "out",
        metavar="OUT_DIR",
        help="directory to create (must be empty or a previously generated corpus with --force)",
    )
    p.add_argument(
        "--mb", type=float, default=20.0, help="approximate size in MB (10**6 bytes; default 20)"
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace OUT_DIR if it holds a corpus generated earlier",
    )
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args(argv)
    if args.mb <= 0:
        p.error("--mb must be positive")
    if os.path.exists(args.out):
        if not os.path.isdir(args.out):
            print(f"generate.py: error: {args.out} exists and is not a directory", file=sys.stderr)
            return 2
        if os.listdir(args.out):
            if not args.force or read_stamp(args.out) is None:
                why = (
                    "use --force to replace it"
                    if read_stamp(args.out)
                    else "it was not made by this script; choose another directory"
                )
                print(f"generate.py: error: {args.out} is not empty ({why})", file=sys.stderr)
                return 2
            shutil.rmtree(args.out)
    os.makedirs(args.out, exist_ok=True)
    generate(args.out, args.mb, args.seed, args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
