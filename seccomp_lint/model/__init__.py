"""The model of pods and settings: findings, options and fixes as data (``data``), where pod
specs live in each kind of object (``workloads``), the seccomp settings of a pod and its
containers (``seccomp``), seccomp profile files (``profiles``) and the schemas shipped with the
package (``resources``).

May import ``text`` only.
"""
