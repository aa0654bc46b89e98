#!/usr/bin/env python3
"""Validates SARIF logs against the SARIF 2.1.0 schema (python3-jsonschema).

usage: validate_sarif.py SCHEMA FILE...   exit 0 when every FILE is valid, 1 otherwise
       validate_sarif.py --fingerprints FILE   print "ruleId fingerprint" per result
"""
import json
import sys

import jsonschema


def fingerprints(path):
    with open(path) as f:
        log = json.load(f)
    for run in log["runs"]:
        for r in run["results"]:
            print(r["ruleId"], r["partialFingerprints"]["mvmLintFinding/v1"])


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--fingerprints":
        fingerprints(sys.argv[2])
        return 0
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    bad = 0
    for path in sys.argv[2:]:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors[:5]:
            print("%s: %s at %s" % (path, e.message, "/".join(str(p) for p in e.path)), file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
