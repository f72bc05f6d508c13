#!/usr/bin/env python3
"""Validates a FHIR Bundle written by `vlm-audit export fhir` against the FHIR R5 models of the `fhir.resources`
package (structure, cardinality, datatypes), then checks what those models leave out and the export promises: the
required code bindings this export uses (AuditEvent.action, AuditEvent.outcome.code, Provenance.entity.role), the
resource types expected are present, every resource has an id, and no resource names a patient.

Usage: validate-fhir.py BUNDLE.json [ResourceType:code …]   (each argument: a type and AuditEvent code that must appear)
Exit status: 0 valid, 1 invalid (the first errors printed), 2 usage.
"""
import collections
import json
import sys

from fhir.resources.bundle import Bundle  # R5 models (fhir.resources >= 7)

# Required bindings of R5 (http://hl7.org/fhir/R5/valueset-audit-event-action.html, -audit-event-outcome,
# -provenance-entity-role), which the models do not enforce.
ACTIONS = {"C", "R", "U", "D", "E"}
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/audit-event-outcome"
OUTCOMES = {"0", "4", "8", "12"}
ROLES = {"revision", "quotation", "source", "instantiates", "removal"}


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    text = open(sys.argv[1], encoding="utf-8").read()
    try:
        bundle = Bundle.model_validate_json(text)
    except Exception as error:  # pydantic's ValidationError names every field at fault
        print(f"invalid: the Bundle does not validate as FHIR R5:\n{error}"[:4000])
        return 1
    raw = json.loads(text)
    kinds = collections.Counter()
    problems = []
    for index, entry in enumerate(raw.get("entry", [])):
        resource = entry["resource"]
        code = ""
        if resource["resourceType"] == "AuditEvent":
            code = (resource["code"].get("coding") or [{}])[0].get("code", "")
            if resource.get("action") not in ACTIONS:
                problems.append(f"entry {index}: action {resource.get('action')!r} is not one of {sorted(ACTIONS)}")
            outcome = resource.get("outcome", {}).get("code", {})
            if outcome and (outcome.get("system") != OUTCOME_SYSTEM or outcome.get("code") not in OUTCOMES):
                problems.append(f"entry {index}: outcome {outcome} is not in {OUTCOME_SYSTEM} {sorted(OUTCOMES)}")
        if resource["resourceType"] == "Provenance":
            for entity in resource.get("entity", []):
                if entity.get("role") not in ROLES:
                    problems.append(f"entry {index}: entity role {entity.get('role')!r} is not one of {sorted(ROLES)}")
        kinds[f"{resource['resourceType']}:{code}" if code else resource["resourceType"]] += 1
        if not resource.get("id"):
            problems.append(f"entry {index}: no id")
        if "patient" in resource:
            problems.append(f"entry {index}: names a patient")
    for expected in sys.argv[2:]:
        if kinds[expected] == 0:
            problems.append(f"no {expected} in the Bundle")
    print(f"FHIR R5 Bundle {bundle.id}: {len(raw.get('entry', []))} resources, structurally valid R5: " +
          ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
    for problem in problems:
        print(f"invalid: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
