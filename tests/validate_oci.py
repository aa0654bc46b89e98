#!/usr/bin/python3
"""Validates seccomp.json files against the OCI runtime-spec schema (config-linux.json,
linux.seccomp), resolving its relative $refs from ../shared/data/oci-runtime-spec."""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
spec_dir = os.path.normpath(os.path.join(here, "..", "..", "shared", "data", "oci-runtime-spec"))
spec_dir = os.environ.get("OCI_SPEC_DIR", spec_dir)


def main(paths):
    with open(os.path.join(spec_dir, "config-linux.json")) as f:
        linux = json.load(f)
    base = "file://" + spec_dir + "/"
    resolver = jsonschema.RefResolver(base_uri=base + "config-linux.json", referrer=linux)
    schema = {"$ref": base + "config-linux.json#/linux/properties/seccomp"}
    if "linux" not in linux:
        schema = {"$ref": base + "config-linux.json#/properties/linux/properties/seccomp"}
    validator = jsonschema.Draft4Validator(schema, resolver=resolver)
    bad = 0
    for p in paths:
        with open(p) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            print(f"{p}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
            bad += 1
        # A positive control: the validator must reject a broken copy, or it proves nothing.
        broken = dict(doc, defaultAction="SCMP_ACT_BOGUS")
        if not list(validator.iter_errors(broken)):
            print(f"{p}: validator accepted a bogus defaultAction; schema not applied", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
