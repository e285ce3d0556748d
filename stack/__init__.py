"""What the local runtime (devstack/) and the deploy tooling (deploy/) both work from: the stack as
template.yaml describes it (template.py), the static sites' config.js (site_config.py), LocalStack on
loopback (localstack.py) and a free loopback port (loopback.py).

The direction: stack/ is imported by devstack/ and deploy/, which never import each other; tests/
and benchmarks/ import any of them, never the other way; layers/ and functions/ import none of them.
stack/ itself imports only the standard library and third-party packages.
(tests/unit/test_package_boundaries.py fails when an import breaks this.)
"""
