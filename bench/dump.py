#!/usr/bin/env python3
"""Cluster dumps: generate ``kubectl get pods -A -o yaml|json`` output and time seccomp-lint on it.

    python bench/dump.py generate --pods 10000 [--format yaml|json|both] [--seed 1] [--out-dir DIR]
    python bench/dump.py bench --pods 10000 --pods 100000 [--repeat 3] [--big-repeat 1]
                               [--modes text,json,sarif,diff,fix] [--skip-over SECONDS]
                               [--out bench/RESULTS.md | -]

``generate`` writes one document per file, as kubectl prints a list: ``apiVersion: v1``,
``kind: List``, ``items: [...]``, ``metadata: {resourceVersion: ""}``, each item a whole Pod as
the API server returns it (metadata with owner references, spec with several containers and
sometimes init containers, status with container statuses). Keys are sorted (kubectl prints a
list as unstructured data); YAML is block style with 2-space indentation and sequences at their
key's indentation, strings that would read as another type double-quoted, multi-line strings as
literal blocks, no line folding; JSON is ``json.dumps(indent=4)``. A quarter of the pods set
``securityContext.seccompProfile: {type: RuntimeDefault}`` at pod level; the rest have no profile,
a container with ``Unconfined``, or (now and then) the legacy seccomp annotation. The same seed
and size give byte-identical files. Standard library only (PyYAML only for ``--verify``).

``bench`` generates missing dumps in ``bench/out/`` (gitignored) and times, for each dump, the
libyaml floor (one process: ``yaml.compose(data, Loader=yaml.CSafeLoader)``; for a JSON dump also
``json.loads``) and ``python -m seccomp_lint --jobs 1 FILE`` with the text, JSON and SARIF
reports, ``--diff`` and ``--fix`` (on a fresh copy of the dump for every run). Every command runs
under bench/run.py's launcher (wall time, CPU time and peak RSS from ``os.wait4``). Targets:
every mode within 1.5x the floor (SARIF 2x, ``--fix`` 3x), peak RSS under 10x the dump's size.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import sys
import time
import uuid

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
OUT_DIR = os.path.join(BENCH, "out")
MB = 1_000_000

sys.path.insert(0, BENCH)
import run as _run  # noqa: E402 (bench/ on the path first)

GENERATOR_VERSION = 1  # bump when the output changes; files carry it in their name

# ---------------------------------------------------------------------------------------------
# The cluster

NAMESPACES = [
    "kube-system",
    "monitoring",
    "ingress-nginx",
    "cert-manager",
    "logging",
    "argocd",
    "istio-system",
    "default",
    "payments",
    "checkout",
    "catalog",
    "search",
    "accounts",
    "notifications",
    "data-pipeline",
    "ml-serving",
    "web-frontend",
    "api-gateway",
    "batch-jobs",
    "staging",
]

# (app name, image repository, tag, container port, extra sidecar image or None)
APPS = [
    ("api", "registry.example.com/platform/api", "v2.14.3", 8080),
    ("web", "registry.example.com/platform/web", "1.9.0", 3000),
    ("worker", "registry.example.com/platform/worker", "2024.11.2", 9000),
    ("redis", "docker.io/library/redis", "7.2.4-alpine", 6379),
    ("postgres", "docker.io/library/postgres", "16.2", 5432),
    ("nginx", "docker.io/library/nginx", "1.25.4", 80),
    ("prometheus", "quay.io/prometheus/prometheus", "v2.51.0", 9090),
    ("grafana", "docker.io/grafana/grafana", "10.4.1", 3000),
    ("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit", "3.0.2", 2020),
    ("coredns", "registry.k8s.io/coredns/coredns", "v1.11.1", 53),
    ("controller", "registry.k8s.io/ingress-nginx/controller", "v1.10.0", 443),
    ("cert-manager", "quay.io/jetstack/cert-manager-controller", "v1.14.4", 9402),
    ("argocd-server", "quay.io/argoproj/argocd", "v2.10.6", 8083),
    ("search-indexer", "registry.example.com/search/indexer", "5.2.0", 8081),
    ("model-server", "registry.example.com/ml/model-server", "0.18.1", 8501),
    ("gateway", "docker.io/envoyproxy/envoy", "v1.29.2", 10000),
]
SIDECARS = [
    ("istio-proxy", "docker.io/istio/proxyv2", "1.21.0", 15090),
    ("log-shipper", "cr.fluentbit.io/fluent/fluent-bit", "3.0.2", 2020),
    ("metrics-exporter", "quay.io/prometheus/node-exporter", "v1.7.0", 9100),
    ("oauth2-proxy", "quay.io/oauth2-proxy/oauth2-proxy", "v7.6.0", 4180),
]
INITS = [
    (
        "init-config",
        "docker.io/library/busybox",
        "1.36.1",
        ["sh", "-c", "cp /config-template/* /config/ && chmod 0644 /config/*"],
    ),
    (
        "wait-for-db",
        "docker.io/library/busybox",
        "1.36.1",
        ["sh", "-c", "until nc -z postgres 5432; do echo waiting for db; sleep 2; done"],
    ),
    (
        "istio-init",
        "docker.io/istio/proxyv2",
        "1.21.0",
        [
            "istio-iptables",
            "-p",
            "15001",
            "-z",
            "15006",
            "-u",
            "1337",
            "-m",
            "REDIRECT",
            "-i",
            "*",
            "-x",
            "",
            "-b",
            "*",
            "-d",
            "15090,15021,15020",
        ],
    ),
]
NODES = [
    f"ip-10-{a}-{b}-{c}.eu-west-1.compute.internal"
    for a, b, c in (
        (0, 12, 34),
        (0, 45, 7),
        (1, 3, 201),
        (1, 77, 19),
        (2, 9, 88),
        (2, 130, 5),
        (0, 200, 63),
        (1, 151, 240),
        (2, 66, 144),
        (0, 88, 12),
        (1, 9, 99),
        (2, 222, 31),
    )
]
HEX = "0123456789abcdef"
ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of generated name suffixes
BASE_TIME = _dt.datetime(2026, 9, 1, 8, 0, 0, tzinfo=_dt.UTC)


def _ts(seconds: int) -> str:
    return (BASE_TIME + _dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _container(
    rng: random.Random, name: str, image: str, port: int, ns: str, app: str, main: bool
) -> dict:
    c: dict = {
        "name": name,
        "image": image,
        "imagePullPolicy": rng.choice(["IfNotPresent", "IfNotPresent", "Always"]),
        "ports": [
            {"containerPort": port, "name": "http" if main else "metrics", "protocol": "TCP"}
        ],
        "env": [
            {
                "name": "POD_NAME",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}},
            },
            {
                "name": "POD_NAMESPACE",
                "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}},
            },
            {"name": "LOG_LEVEL", "value": rng.choice(["info", "debug", "warn"])},
            {
                "name": "GOMAXPROCS",
                "valueFrom": {"resourceFieldRef": {"divisor": "0", "resource": "limits.cpu"}},
            },
        ],
        "resources": {
            "limits": {
                "cpu": rng.choice(["500m", "1", "2"]),
                "memory": rng.choice(["256Mi", "512Mi", "1Gi", "2Gi"]),
            },
            "requests": {
                "cpu": rng.choice(["50m", "100m", "250m"]),
                "memory": rng.choice(["64Mi", "128Mi", "256Mi"]),
            },
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": rng.choice(["File", "File", "FallbackToLogsOnError"]),
        "volumeMounts": [
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": "kube-api-access-" + _rand(rng, ALNUM, 5),
                "readOnly": True,
            },
        ],
    }
    if main:
        c["args"] = [
            f"--port={port}",
            f"--namespace={ns}",
            "--metrics-addr=:9102",
            f"--config=/etc/{app}/config.yaml",
        ]
        c["env"].append(
            {
                "name": "DATABASE_PASSWORD",
                "valueFrom": {"secretKeyRef": {"key": "password", "name": f"{app}-db"}},
            }
        )
        c["volumeMounts"].insert(
            0, {"mountPath": f"/etc/{app}", "name": "config", "readOnly": True}
        )
        c["volumeMounts"].insert(1, {"mountPath": "/tmp", "name": "tmp"})
        c["livenessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
        c["readinessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/ready", "port": port, "scheme": "HTTP"},
            "periodSeconds": 5,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    else:
        c["livenessProbe"] = {
            "failureThreshold": 3,
            "tcpSocket": {"port": port},
            "periodSeconds": 20,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
    sc = rng.random()
    if sc < 0.5:
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": 65532,
        }
    elif sc < 0.7:
        c["securityContext"] = {"runAsUser": 1000, "runAsGroup": 1000}
    return c


def _status_for(rng: random.Random, c: dict, start: int, init: bool) -> dict:
    digest = _rand(rng, HEX, 64)
    repo = c["image"].rsplit(":", 1)[0]
    st: dict = {
        "containerID": "containerd://" + _rand(rng, HEX, 64),
        "image": c["image"],
        "imageID": f"{repo}@sha256:{digest}",
        "lastState": {},
        "name": c["name"],
        "ready": not init,
        "restartCount": rng.choice([0, 0, 0, 0, 1, 3]),
    }
    if init:
        st["state"] = {
            "terminated": {
                "containerID": st["containerID"],
                "exitCode": 0,
                "finishedAt": _ts(start + 4),
                "reason": "Completed",
                "startedAt": _ts(start + 2),
            }
        }
    else:
        st["started"] = True
        st["state"] = {"running": {"startedAt": _ts(start + 6)}}
    if st["restartCount"]:
        st["lastState"] = {
            "terminated": {
                "containerID": "containerd://" + _rand(rng, HEX, 64),
                "exitCode": 137,
                "finishedAt": _ts(start + 5),
                "reason": "OOMKilled",
                "startedAt": _ts(start + 3),
            }
        }
    return st


def make_pod(rng: random.Random, i: int) -> dict:
    """One Pod as the API server returns it; ``i`` only spreads pods over namespaces."""
    ns = NAMESPACES[i % len(NAMESPACES)]
    app, image_repo, tag, port = APPS[rng.randrange(len(APPS))]
    image = f"{image_repo}:{tag}"
    owner = rng.random()
    labels = {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": f"{app}-{ns}",
        "app.kubernetes.io/part-of": ns,
        "app.kubernetes.io/managed-by": "Helm",
    }
    annotations: dict = {}
    if owner < 0.75:  # Deployment -> ReplicaSet
        hash_ = _rand(rng, ALNUM, 10)
        gen = f"{app}-{hash_}-"
        name = gen + _rand(rng, ALNUM, 5)
        labels["pod-template-hash"] = hash_
        owner_ref = {
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": "ReplicaSet",
            "name": gen[:-1],
            "uid": _uid(rng),
        }
        annotations["kubectl.kubernetes.io/restartedAt"] = _ts(rng.randrange(3_000_000))
    elif owner < 0.9:  # StatefulSet
        gen = f"{app}-"
        name = gen + str(rng.randrange(5))
        labels["controller-revision-hash"] = f"{app}-{_rand(rng, ALNUM, 10)}"
        labels["statefulset.kubernetes.io/pod-name"] = name
        owner_ref = {
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": "StatefulSet",
            "name": app,
            "uid": _uid(rng),
        }
    else:  # DaemonSet
        gen = f"{app}-"
        name = gen + _rand(rng, ALNUM, 5)
        labels["controller-revision-hash"] = _rand(rng, ALNUM, 10)
        labels["pod-template-generation"] = str(rng.randrange(1, 9))
        owner_ref = {
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": "DaemonSet",
            "name": app,
            "uid": _uid(rng),
        }
    if rng.random() < 0.5:
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"] = str(port)
        annotations["prometheus.io/path"] = "/metrics"
    annotations["checksum/config"] = _rand(rng, HEX, 64)
    if rng.random() < 0.3:
        annotations["cni.projectcalico.org/podIP"] = (
            f"10.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(256)}/32"
        )
        annotations["cni.projectcalico.org/containerID"] = _rand(rng, HEX, 64)

    containers = [_container(rng, app, image, port, ns, app, True)]
    for side in rng.sample(SIDECARS, rng.choice([0, 0, 1, 1, 2])):
        sname, srepo, stag, sport = side
        containers.append(_container(rng, sname, f"{srepo}:{stag}", sport, ns, app, False))
    inits = []
    if rng.random() < 0.3:
        iname, irepo, itag, icmd = INITS[rng.randrange(len(INITS))]
        inits.append(
            {
                "command": icmd,
                "image": f"{irepo}:{itag}",
                "imagePullPolicy": "IfNotPresent",
                "name": iname,
                "resources": {},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "volumeMounts": [{"mountPath": "/config", "name": "config"}],
            }
        )
    token_vol = containers[0]["volumeMounts"][-1]["name"]
    for c in containers[1:]:
        c["volumeMounts"][-1]["name"] = token_vol

    pod_sc: dict = {"fsGroup": 2000} if rng.random() < 0.4 else {}
    # Seccomp: a quarter compliant at pod level, the rest a mix.
    kind = rng.random()
    if kind < 0.25:
        pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        pod_sc.setdefault("runAsNonRoot", True)
    elif kind < 0.55:
        pass  # no profile anywhere
    elif kind < 0.75:  # one container explicitly unconfined
        c = containers[rng.randrange(len(containers))]
        c.setdefault("securityContext", {})["seccompProfile"] = {"type": "Unconfined"}
    elif kind < 0.92:  # pod-level RuntimeDefault overridden by a container's Unconfined
        pod_sc["seccompProfile"] = {"type": "RuntimeDefault"}
        c = containers[-1]
        c.setdefault("securityContext", {})["seccompProfile"] = {"type": "Unconfined"}
    elif kind < 0.97:  # legacy annotation (as kept from an old manifest)
        annotations["seccomp.security.alpha.kubernetes.io/pod"] = rng.choice(
            ["runtime/default", "unconfined"]
        )
    else:  # legacy per-container annotation next to the fields
        annotations[f"container.seccomp.security.alpha.kubernetes.io/{containers[0]['name']}"] = (
            "unconfined"
        )
        containers[0].setdefault("securityContext", {})["seccompProfile"] = {"type": "Unconfined"}

    node = NODES[rng.randrange(len(NODES))]
    created = rng.randrange(5_000_000)
    pod_ip = f"10.{rng.randrange(64, 128)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    host_ip = "10." + node.split("-", 2)[2].split(".", 1)[0].replace("-", ".")
    volumes = [
        {"configMap": {"defaultMode": 420, "name": f"{app}-config"}, "name": "config"},
        {"emptyDir": {}, "name": "tmp"},
        {
            "name": token_vol,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                            "name": "kube-root-ca.crt",
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [
                                {
                                    "fieldRef": {
                                        "apiVersion": "v1",
                                        "fieldPath": "metadata.namespace",
                                    },
                                    "path": "namespace",
                                }
                            ]
                        }
                    },
                ],
            },
        },
    ]
    spec: dict = {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": pod_sc,
        "serviceAccount": app,
        "serviceAccountName": app,
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/not-ready",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
            {
                "effect": "NoExecute",
                "key": "node.kubernetes.io/unreachable",
                "operator": "Exists",
                "tolerationSeconds": 300,
            },
        ],
        "volumes": volumes,
    }
    if inits:
        spec["initContainers"] = inits
    if ns == "kube-system":
        spec["priorityClassName"] = "system-cluster-critical"
        spec["priority"] = 2000000000
    start = created + 1
    conditions = [
        {
            "lastProbeTime": None,
            "lastTransitionTime": _ts(start + 5),
            "status": "True",
            "type": "PodReadyToStartContainers",
        },
        {
            "lastProbeTime": None,
            "lastTransitionTime": _ts(start + 4),
            "status": "True",
            "type": "Initialized",
        },
        {
            "lastProbeTime": None,
            "lastTransitionTime": _ts(start + 20),
            "status": "True",
            "type": "Ready",
        },
        {
            "lastProbeTime": None,
            "lastTransitionTime": _ts(start + 20),
            "status": "True",
            "type": "ContainersReady",
        },
        {
            "lastProbeTime": None,
            "lastTransitionTime": _ts(start),
            "status": "True",
            "type": "PodScheduled",
        },
    ]
    status: dict = {
        "conditions": conditions,
        "containerStatuses": [_status_for(rng, c, start, False) for c in containers],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "phase": "Running",
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "qosClass": "Burstable",
        "startTime": _ts(start),
    }
    if inits:
        status["initContainerStatuses"] = [_status_for(rng, c, start, True) for c in inits]
    metadata: dict = {
        "annotations": annotations,
        "creationTimestamp": _ts(created),
        "generateName": gen,
        "labels": labels,
        "name": name,
        "namespace": ns,
        "ownerReferences": [owner_ref],
        "resourceVersion": str(rng.randrange(1_000_000, 900_000_000)),
        "uid": _uid(rng),
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def pods(n: int, seed: int):
    rng = random.Random(f"seccomp-lint-dump-{seed}")
    for i in range(n):
        yield make_pod(rng, i)


# ---------------------------------------------------------------------------------------------
# Writing it as kubectl does

# YAML 1.1 implicit types (as PyYAML and go-yaml v2 resolve them): a string that would read as one
# of these is quoted. Everything else in this data is plain-safe by construction or quoted.
_NOT_STR = re.compile(
    r"""^(?:
    ~|null|Null|NULL|
    yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|y|Y|n|N|
    [-+]?(?:0b[0-1_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)|
    [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|
    [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
    [0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?|
    =|<<
)$""",
    re.VERBOSE,
)
_PLAIN = re.compile(
    r"^(?:[A-Za-z0-9/._~$]|-(?=[A-Za-z0-9/._~$-])(?!--(?:-|$)))[A-Za-z0-9 /._~:=@+,()$*%-]*$"
)
_scalar_cache: dict[str, str] = {}


def _scalar(s: str) -> str:
    out = _scalar_cache.get(s)
    if out is None:
        if (
            s
            and _PLAIN.match(s)
            and not _NOT_STR.match(s)
            and ": " not in s
            and " #" not in s
            and not s.endswith((" ", ":"))
        ):
            out = s
        else:
            out = json.dumps(s)  # a JSON string is a valid YAML double-quoted scalar
        if len(_scalar_cache) < 200_000:
            _scalar_cache[s] = out
    return out


def _value(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, int):
        return str(v)
    return _scalar(v)


def _emit_map(d: dict, pad: str, first: str, out: list) -> None:
    """``d`` as block mapping lines at indentation ``pad``; the first line starts with ``first``
    (``"- "`` laid over the indentation when the mapping is a sequence item)."""
    lead = first
    for k in sorted(d):
        v = d[k]
        key = lead + _scalar(k) + ":"
        lead = pad
        if isinstance(v, dict):
            if v:
                out.append(key)
                _emit_map(v, pad + "  ", pad + "  ", out)
            else:
                out.append(key + " {}")
        elif isinstance(v, list):
            if v:
                out.append(key)
                _emit_seq(v, pad, out)  # kubectl: "- " at the key's own indentation
            else:
                out.append(key + " []")
        elif isinstance(v, str) and "\n" in v:
            body = v.removesuffix("\n")
            out.append(key + (" |" if v.endswith("\n") else " |-"))
            out.extend(pad + "  " + line if line else "" for line in body.split("\n"))
        else:
            out.append(key + " " + _value(v))


def _emit_seq(items: list, pad: str, out: list) -> None:
    for item in items:
        if isinstance(item, dict) and item:
            _emit_map(item, pad + "  ", pad + "- ", out)
        elif isinstance(item, (dict, list)):
            out.append(pad + "- " + ("{}" if isinstance(item, dict) else "[]"))
        else:
            out.append(pad + "- " + _value(item))


def write_yaml(path: str, n: int, seed: int) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("apiVersion: v1\nitems:\n")
        for pod in pods(n, seed):
            lines: list[str] = []
            _emit_map(pod, "  ", "- ", lines)
            f.write("\n".join(lines))
            f.write("\n")
        f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


def write_json(path: str, n: int, seed: int) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        first = True
        for pod in pods(n, seed):
            text = json.dumps(pod, indent=4, sort_keys=True)
            if not first:
                f.write(",\n")
            first = False
            f.write("        " + text.replace("\n", "\n        "))
        f.write(
            '\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n'
        )


def dump_path(out_dir: str, n: int, fmt: str, seed: int) -> str:
    return os.path.join(out_dir, f"pods-{n}-seed{seed}-v{GENERATOR_VERSION}.{fmt}")


def ensure_dump(out_dir: str, n: int, fmt: str, seed: int) -> str:
    path = dump_path(out_dir, n, fmt, seed)
    if not os.path.exists(path):
        os.makedirs(out_dir, exist_ok=True)
        t0 = time.perf_counter()
        tmp = path + ".part"
        (write_yaml if fmt == "yaml" else write_json)(tmp, n, seed)
        os.replace(tmp, path)
        _run.log(
            f"wrote {_run.shown(path)} ({os.path.getsize(path) / MB:.1f} MB) in {time.perf_counter() - t0:.1f} s"
        )
    return path


def verify(path: str, n: int, seed: int) -> None:
    """Parse the dump back (libyaml; json for JSON) and compare it with the generated data."""
    import yaml

    with open(path, "rb") as f:
        data = f.read()
    loaded = (
        json.loads(data) if path.endswith(".json") else yaml.load(data, Loader=yaml.CSafeLoader)
    )
    expected = {
        "apiVersion": "v1",
        "items": list(pods(n, seed)),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }
    if loaded != expected:
        raise SystemExit(f"{path}: does not read back as the generated data")
    if path.endswith(".json") and yaml.load(data, Loader=yaml.CSafeLoader) != expected:
        raise SystemExit(f"{path}: YAML reads it differently from JSON")
    _run.log(f"verified {_run.shown(path)}: {n} pods read back equal")


# ---------------------------------------------------------------------------------------------
# Timing

FLOOR = r"""
import json, sys, yaml
with open(sys.argv[1], "rb") as f:
    data = f.read()
if sys.argv[2] == "json":
    json.loads(data)
else:
    yaml.compose(data, Loader=yaml.CSafeLoader)
"""

MODES = {  # name: (extra arguments, target as a multiple of the floor)
    "text": ([], 1.5),
    "json": (["--format", "json"], 1.5),
    "sarif": (["--format", "sarif"], 2.0),
    "diff": (["--diff"], 1.5),
    "fix": (["--fix"], 3.0),
}
TARGET_RSS_X = 10


def _one(cmd: list[str], timeout: float | None) -> _run.Result:
    res = _run.measure(cmd, timeout=timeout)
    try:
        size = os.path.getsize(res.stdout)
        os.unlink(res.stdout)
    except OSError:
        size = 0
    res.stdout_bytes = size  # type: ignore[attr-defined]
    return res


def _median(results: list[_run.Result]) -> dict:
    return {
        "wall": statistics.median(r.wall for r in results),
        "cpu": statistics.median(r.cpu for r in results),
        "rss_kb": max(r.maxrss_kb for r in results),
        "rc": sorted({r.rc for r in results}),
        "runs": len(results),
        "out_mb": max(getattr(r, "stdout_bytes", 0) for r in results) / MB,
        "timed_out": any(r.timed_out for r in results),
        "stderr": results[-1].stderr,
    }


def _extrapolate(points: list | None, size: int) -> float:
    """Seconds a run on ``size`` bytes would take, from the two latest smaller runs: t = a * size^k
    with k fitted to them (at least 1: linear when only one point or when they look sublinear)."""
    if not points:
        return 0.0
    (s1, t1), *rest = points
    k = 1.0
    if rest:
        s0, t0 = rest[0]
        if s1 > s0 and t0 > 0 and t1 > 0:
            k = max(1.0, math.log(t1 / t0) / math.log(s1 / s0))
    return t1 * (size / s1) ** k


def probe(
    out_dir: str,
    fmt: str,
    seed: int,
    pods_list: list[int],
    modes: list[str],
    estimate: dict,
    timeout: float,
) -> list[str]:
    """Time every mode once on small dumps, smallest first, to extrapolate to the big ones."""
    lines = []
    py = sys.executable
    for n in sorted(pods_list):
        path = ensure_dump(out_dir, n, fmt, seed)
        size = os.path.getsize(path)
        for mode in modes:
            target = path
            if mode == "fix":
                target = os.path.join(out_dir, "fix-work", os.path.basename(path))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(path, target)
            r = _one([py, "-m", "seccomp_lint", "--jobs", "1", *MODES[mode][0], target], timeout)
            estimate[(fmt, mode)] = [(size, r.wall)] + estimate.get((fmt, mode), [])[:1]
            lines.append(f"{n} pods {fmt.upper()} ({size / MB:.2f} MB) `{mode}`: {r.wall:.2f} s")
            _run.log("probe " + lines[-1])
    return lines


def bench_dump(
    path: str, repeat: int, modes: list[str], estimate: dict, skip_over: float, timeout: float
) -> dict:
    fmt = "json" if path.endswith(".json") else "yaml"
    size = os.path.getsize(path)
    _run.warm_cache([path])
    py = sys.executable
    rows: dict = {"path": path, "size": size, "fmt": fmt, "modes": {}, "skipped": {}}
    floors = {"floor": [py, "-c", FLOOR, path, "yaml"]}
    if fmt == "json":
        floors["json.loads"] = [py, "-c", FLOOR, path, "json"]
    for name, cmd in floors.items():
        rows[name] = _median([_one(cmd, timeout) for _ in range(repeat)])
        _run.log(
            f"{os.path.basename(path)} {name}: {rows[name]['wall']:.2f} s, {rows[name]['rss_kb'] / 1024:.0f} MB"
        )
    work = os.path.join(OUT_DIR, "fix-work")
    os.makedirs(work, exist_ok=True)
    for mode in modes:
        extra, _ = MODES[mode]
        guess = _extrapolate(estimate.get((fmt, mode)), os.path.getsize(path))
        if guess > skip_over:
            rows["skipped"][mode] = guess
            _run.log(
                f"{os.path.basename(path)} {mode}: skipped (estimated {guess:.0f} s > {skip_over:.0f} s)"
            )
            continue
        results = []
        for _ in range(repeat):
            target = path
            if mode == "fix":
                target = os.path.join(work, os.path.basename(path))
                shutil.copyfile(path, target)
                _run.warm_cache([target])
            results.append(_one([py, "-m", "seccomp_lint", "--jobs", "1", *extra, target], timeout))
            if mode == "fix":
                results[-1].fixed_bytes = os.path.getsize(target)  # type: ignore[attr-defined]
        m = _median(results)
        rows["modes"][mode] = m
        estimate[(fmt, mode)] = [(size, m["wall"])] + estimate.get((fmt, mode), [])[:1]
        _run.log(
            f"{os.path.basename(path)} {mode}: {m['wall']:.2f} s (x{m['wall'] / rows['floor']['wall']:.2f}), "
            f"{m['rss_kb'] / 1024:.0f} MB, exit {m['rc']}"
        )
    return rows


def _duration(seconds: float) -> str:
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return "> 2 days"  # the fitted exponent is rough: a bigger figure would claim too much


def _verdict(ok: bool) -> str:
    return "**pass**" if ok else "**FAIL**"


def report(args, runs: list[dict], started: float) -> str:
    yaml_ver, libyaml = _run.yaml_info(sys.executable)
    now = _dt.datetime.now(_dt.UTC)
    argv = " ".join(["python", "bench/dump.py", *(args.argv or [])])
    lines = [
        "## Cluster dumps (kubectl get pods -A)",
        "",
        f"Run of {now:%Y-%m-%d %H:%M} UTC: `{argv}` (took {(time.time() - started) / 60:.1f} min).",
        (
            f"Machine: {os.cpu_count()} CPUs (nproc), {_run.cpu_model()}, {_run.ram_gb()} RAM, "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}, PyYAML {yaml_ver}"
            f"{' with libyaml' if libyaml else ''}; repository at {_run.git_revision()}; "
            f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}."
        ),
        "",
        (
            "Each dump is one `kind: List` document (generated by `bench/dump.py generate`). Commands: "
            "`python -m seccomp_lint --jobs 1 [--format json|sarif] [--diff|--fix] FILE`; `--fix` on a "
            "fresh copy each run. Floor: one process reading the file and running "
            "`yaml.compose(data, Loader=yaml.CSafeLoader)`; for JSON also `json.loads(data)`. "
            f"Wall and CPU times are medians of {args.repeat} runs for dumps up to {args.big_from:,} pods "
            f"exclusive, {args.big_repeat} run above; peak RSS from `wait4`; MB = 10^6 bytes. Targets: "
            "≤ 1.5× the floor (SARIF 2×, `--fix` 3×), peak RSS ≤ 10× the dump's size."
        ),
        "",
        "| dump | size | mode | wall s | CPU s | × floor | target | peak RSS MB | RSS ≤ 10× size | report MB | exit |",
        "|---|---:|---|---:|---:|---:|---|---:|---|---:|---:|",
    ]
    fails = []
    for r in runs:
        name = f"{r['n']:,} pods {r['fmt'].upper()}"
        size_mb = r["size"] / MB
        floor = r["floor"]["wall"]
        for ref in ("floor", "json.loads"):
            if ref in r:
                m = r[ref]
                label = "floor: `yaml.compose`" if ref == "floor" else "`json.loads`"
                lines.append(
                    f"| {name} | {size_mb:.1f} MB | {label} | {m['wall']:.2f} | {m['cpu']:.2f} | "
                    f"{m['wall'] / floor:.2f} | | {m['rss_kb'] / 1024:.0f} | | | |"
                )
        for mode in MODES:
            if mode in r["skipped"]:
                est = r["skipped"][mode]
                ok_t = est / floor <= MODES[mode][1]
                if not ok_t:
                    fails.append(
                        f"{name} `{mode}`: not run, estimated {_duration(est)} "
                        f"(target {MODES[mode][1]:g}× the floor = {MODES[mode][1] * floor:.0f} s)"
                    )
                lines.append(
                    f"| {name} | {size_mb:.1f} MB | `{mode}` | not run (est. {_duration(est)}) | | | "
                    f"≤ {MODES[mode][1]:g}× {_verdict(ok_t)} | | | | |"
                )
                continue
            if mode not in r["modes"]:
                continue
            m = r["modes"][mode]
            x = m["wall"] / floor
            tx = MODES[mode][1]
            ok_t = x <= tx and not m["timed_out"]
            rss_mb = m["rss_kb"] * 1024 / MB
            ok_m = rss_mb <= TARGET_RSS_X * size_mb
            if not ok_t:
                fails.append(f"{name} `{mode}`: {x:.2f}× the floor (target {tx}×)")
            if not ok_m:
                fails.append(
                    f"{name} `{mode}`: {rss_mb:.0f} MB peak RSS ({rss_mb / size_mb:.1f}× the dump)"
                )
            wall = f"{m['wall']:.2f}" + (" (timed out)" if m["timed_out"] else "")
            lines.append(
                f"| {name} | {size_mb:.1f} MB | `{mode}` | {wall} | {m['cpu']:.2f} | {x:.2f} | "
                f"≤ {tx:g}× {_verdict(ok_t)} | {rss_mb:.0f} | {rss_mb / size_mb:.1f}× {_verdict(ok_m)} | "
                f"{m['out_mb']:.1f} | {','.join(map(str, m['rc']))} |"
            )
    lines.append("")
    if getattr(args, "probes", None):
        lines.append(
            "Probe runs (one each; the skip estimates fit t = a·size^k to the two latest smaller "
            "runs of a mode, k ≥ 1): " + "; ".join(args.probes) + "."
        )
        lines.append("")
    lines.append("Failed targets:" + ("".join(f"\n- {f}" for f in fails) if fails else " none."))
    lines.append("")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write dumps")
    g.add_argument("--pods", type=int, action="append", required=True)
    g.add_argument("--format", choices=["yaml", "json", "both"], default="both")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out-dir", default=OUT_DIR)
    g.add_argument(
        "--verify", action="store_true", help="read each dump back and compare (needs memory)"
    )
    b = sub.add_parser("bench", help="generate missing dumps and time seccomp-lint on them")
    b.add_argument("--pods", type=int, action="append", required=True)
    b.add_argument("--format", choices=["yaml", "json", "both"], default="both")
    b.add_argument("--seed", type=int, default=1)
    b.add_argument("--repeat", type=int, default=3)
    b.add_argument("--big-repeat", type=int, default=1)
    b.add_argument(
        "--big-from",
        type=int,
        default=20_000,
        help="dumps of this many pods or more run --big-repeat times",
    )
    b.add_argument("--modes", default=",".join(MODES))
    b.add_argument(
        "--skip-over",
        type=float,
        default=480.0,
        help="skip a run whose time, extrapolated from the smaller dump, exceeds this (s)",
    )
    b.add_argument("--timeout", type=float, default=900.0)
    b.add_argument(
        "--probe-pods",
        default="50,100",
        help="time every mode once on these small dumps first, to extrapolate (empty: no probe)",
    )
    b.add_argument("--out", default="-", help="append the section to this file (- = print only)")
    args = p.parse_args(argv)
    args.argv = argv
    fmts = ["yaml", "json"] if args.format == "both" else [args.format]
    if args.cmd == "generate":
        for n in args.pods:
            for fmt in fmts:
                path = ensure_dump(args.out_dir, n, fmt, args.seed)
                print(_run.shown(path))
                if args.verify:
                    verify(path, n, args.seed)
        return 0
    started = time.time()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    estimate: dict = {}
    runs = []
    probes: list[str] = []
    for fmt in fmts:
        probe_sizes = [int(x) for x in args.probe_pods.split(",") if x.strip()]
        if probe_sizes:
            probes += probe(OUT_DIR, fmt, args.seed, probe_sizes, modes, estimate, args.timeout)
    args.probes = probes
    for fmt in fmts:
        for n in sorted(args.pods):
            path = ensure_dump(OUT_DIR, n, fmt, args.seed)
            r = bench_dump(
                path,
                args.repeat if n < args.big_from else args.big_repeat,
                modes,
                estimate,
                args.skip_over,
                args.timeout,
            )
            r["n"] = n
            runs.append(r)
    text = report(args, runs, started)
    print(text)
    if args.out != "-":
        with open(args.out, "a", encoding="utf-8") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
