#!/usr/bin/env python3
"""Validate Kith's JSON Schemas with a real JSON Schema implementation (python-jsonschema).

Checks: both schema files are valid draft 2020-12 schemas; their own `examples` validate;
every mapping in schemas/examples/ validates against mapping.schema.json; and every NDJSON
line in the files given on the command line validates against event.schema.json.

Usage: tools/validate_schemas.py [events.ndjson ...]
Exit status 0 when everything validates, 1 otherwise (each failure is printed).
"""
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(__file__).resolve().parent.parent
schemas = root / "schemas"
failures = 0


def check(validator, instance, where):
    global failures
    for error in validator.iter_errors(instance):
        failures += 1
        path = "/".join(str(p) for p in error.absolute_path)
        print(f"{where}: {path or '(root)'}: {error.message}")


event_schema = json.loads((schemas / "event.schema.json").read_text())
mapping_schema = json.loads((schemas / "mapping.schema.json").read_text())
rules_schema = json.loads((schemas / "rules.schema.json").read_text())
for schema in (event_schema, mapping_schema, rules_schema):
    jsonschema.Draft202012Validator.check_schema(schema)
events = jsonschema.Draft202012Validator(event_schema)
mappings = jsonschema.Draft202012Validator(mapping_schema)
for i, example in enumerate(event_schema.get("examples", [])):
    check(events, example, f"event.schema.json examples[{i}]")
for i, example in enumerate(mapping_schema.get("examples", [])):
    check(mappings, example, f"mapping.schema.json examples[{i}]")
count = 0
for path in sorted((schemas / "examples").glob("*.mapping.*")):
    loaded = yaml.safe_load(path.read_text()) if path.suffix in (".yaml", ".yml") else json.loads(path.read_text())
    check(mappings, loaded, str(path.relative_to(root)))
    count += 1
rules = jsonschema.Draft202012Validator(rules_schema)
for path in sorted((schemas / "examples").glob("rules*.yaml")):
    check(rules, yaml.safe_load(path.read_text()), str(path.relative_to(root)))
    count += 1
lines = 0
for name in sys.argv[1:]:
    with open(name, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                check(events, json.loads(line), f"{name}:{n}")
                lines += 1
print(f"checked 3 schemas, {count} mapping/rules files, {lines} event lines: {failures} failures")
sys.exit(1 if failures else 0)
