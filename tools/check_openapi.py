#!/usr/bin/env python3
"""Check real HTTP responses against schemas/openapi.yaml.

Input: a JSON file of recorded exchanges, each {"method", "route" (the path template, e.g.
/v1/profiles/{id}), "status", "content_type", "body" (text)}. Every exchange must be a
documented operation and status; JSON bodies must validate against the documented schema
(python-jsonschema, draft 2020-12, with the document's components); every documented
operation must have been exercised with a 2xx answer.

Usage: tools/check_openapi.py schemas/openapi.yaml exchanges.json
Exit status 0 when everything conforms, 1 otherwise (each failure is printed).
"""
import json
import sys

import jsonschema
import yaml

spec = yaml.safe_load(open(sys.argv[1]))
exchanges = json.load(open(sys.argv[2]))
failures = []
seen_ok = set()


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        node = spec
        for p in path:
            node = node[p]
    return node


for x in exchanges:
    where = f'{x["method"]} {x["route"]} → {x["status"]}'
    operation = spec["paths"].get(x["route"], {}).get(x["method"].lower())
    if operation is None:
        failures.append(f"{where}: not a documented operation")
        continue
    response = operation["responses"].get(str(x["status"]))
    if response is None:
        failures.append(f"{where}: status not documented")
        continue
    response = resolve(response)
    media = x["content_type"].split(";")[0].strip()
    content = response.get("content", {})
    if media not in content:
        failures.append(f"{where}: content type {media} not documented ({', '.join(content)})")
        continue
    if 200 <= x["status"] < 300:
        seen_ok.add((x["method"].lower(), x["route"]))
    schema = content[media].get("schema")
    if schema is None or not media.endswith("json"):
        continue
    try:
        body = json.loads(x["body"])
    except ValueError as e:
        failures.append(f"{where}: body is not JSON: {e}")
        continue
    root = dict(schema)
    root["components"] = spec["components"]
    validator = jsonschema.Draft202012Validator(root)
    for error in validator.iter_errors(body):
        path = "/".join(str(p) for p in error.absolute_path)
        failures.append(f"{where}: {path or '(root)'}: {error.message[:300]}")

for path, operations in spec["paths"].items():
    for method in operations:
        if (method, path) not in seen_ok:
            failures.append(f"{method.upper()} {path}: never exercised with a 2xx answer")

for f in failures:
    print(f)
print(f"{len(exchanges)} exchanges checked, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
