"""Writes the reliability suite's bad-input corpus: good and bad prediction records interleaved.

Usage: bad_corpus.py OUT_FOLDER. Writes corpus.jsonl (JSON Lines), corpus.csv, empty.jsonl, bom_crlf.jsonl and
expected.json with the number of good and bad records per file and the kinds of badness. Standard library only.
"""
import json, os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def good(i, **changes):
    record = {"prediction_id": f"good-{i}", "model": "corpus-m1", "occurred_at": "2026-10-05T09:12:00Z",
              "options": ["pneumonia", "effusion", "normal", "nodule"], "option_probs": [0.6, 0.2, 0.1, 0.1],
              "predicted": 0, "confidence": {"verbalized": 0.8}, "attributes": {"modality": "CT"}}
    record.update(changes)
    return record

def bad(kind, **changes):
    record = good(0, **changes)
    record["prediction_id"] = f"bad-{kind}"
    return record

def without(kind, field):
    record = bad(kind)
    del record[field]
    return record

injection = "'); DROP TABLE predictions; --"
bad_kinds = [
    ("missing prediction_id", json.dumps({k: v for k, v in good(0).items() if k != "prediction_id"})),
    ("missing model", json.dumps(without("no-model", "model"))),
    ("missing occurred_at", json.dumps(without("no-time", "occurred_at"))),
    ("missing options", json.dumps(without("no-options", "options"))),
    ("missing predicted", json.dumps(without("no-predicted", "predicted"))),
    ("numeric prediction_id", json.dumps(good(0, prediction_id=17))),
    ("empty prediction_id", json.dumps(good(0, prediction_id=""))),
    ("prediction_id of 201 characters", json.dumps(good(0, prediction_id="p" * 201))),
    ("model as array", json.dumps(bad("model-array", model=["a"]))),
    ("occurred_at not RFC 3339", json.dumps(bad("time-format", occurred_at="05/10/2026 09:12"))),
    ("occurred_at without zone", json.dumps(bad("time-zone", occurred_at="2026-10-05T09:12:00"))),
    ("impossible date", json.dumps(bad("time-impossible", occurred_at="2026-02-30T09:12:00Z"))),
    ("year 0000", json.dumps(bad("time-year0", occurred_at="0000-01-01T00:00:00Z"))),
    ("one option", json.dumps(bad("one-option", options=["a"], option_probs=[1.0]))),
    ("27 options", json.dumps(bad("many-options", options=[f"o{i}" for i in range(27)], option_probs=None))),
    ("non-string option", json.dumps(bad("option-type", options=["a", 2, "c", "d"]))),
    ("probabilities sum to 1.31", json.dumps(bad("sum", option_probs=[0.7, 0.1, 0.1, 0.41]))),
    ("negative probability", json.dumps(bad("negative", option_probs=[1.2, -0.2, 0, 0]))),
    ("probabilities of the wrong length", json.dumps(bad("length", option_probs=[0.5, 0.5]))),
    ("string logit", json.dumps(bad("logit-type", option_probs=None, option_logits=[1, "2", 3, 4]))),
    ("logits and probabilities", json.dumps(bad("both", option_logits=[1, 2, 3, 4]))),
    ("predicted out of range", json.dumps(bad("predicted-range", predicted=5))),
    ("negative predicted", json.dumps(bad("predicted-negative", predicted=-1))),
    ("fractional predicted", json.dumps(bad("predicted-fraction", predicted=1.5))),
    ("derived method supplied", json.dumps(bad("derived", confidence={"msp": 0.9}))),
    ("confidence score as string", json.dumps(bad("score-type", confidence={"verbalized": "high"}))),
    ("unknown field", json.dumps(bad("unknown", colour="blue"))),
    ("attribute value not a string", json.dumps(bad("attribute-type", attributes={"modality": 3}))),
    ("perturbation of unknown kind", json.dumps(bad("perturbation", perturbation={"kind": "blur", "of": "good-1"}))),
    ("label out of range", json.dumps(bad("label-range", label=9))),
    ("escalated as string", json.dumps(bad("escalated-type", escalated="yes"))),
    ("NUL in question", json.dumps(bad("nul", question="a\u0000b"))),
    ("NUL in an option", json.dumps(bad("nul-option", options=["a\u0000", "b", "c", "d"]))),
    ("a JSON array, not an object", json.dumps([good(0)])),
    ("a bare string", json.dumps("hello")),
    ("null", "null"),
    ("truncated JSON", json.dumps(good(0))[:40]),
    ("trailing garbage", json.dumps(bad("trailing")) + " xyz"),
    ("single quotes", "{'prediction_id': 'bad-quotes'}"),
    ("NaN literal", json.dumps(bad("nan")).replace('"predicted": 0', '"predicted": NaN')),
    ("Infinity literal", json.dumps(bad("inf")).replace("0.6", "Infinity")),
    ("duplicate keys", '{"prediction_id":"bad-dupkey","prediction_id":"bad-dupkey2"}'),
    ("nesting 100 deep", "[" * 100 + "]" * 100),
    ("deep object in attributes", json.dumps(bad("deep")).replace('{"modality": "CT"}', '{"a":' * 50 + "1" + "}" * 50)),
    ("control character in a string", json.dumps(bad("control")).replace("pneumonia", "pneu\tmonia")),
    ("invalid UTF-8", None),  # written as bytes below
    ("line over 1 MiB", json.dumps(bad("huge", question="x" * (1 << 20)))),
    ("question field over the limit", json.dumps(bad("big-field", question="q" * 70_000))),
    ("conflicting re-send of a good id", json.dumps(good(1, predicted=1))),
    ("SQL in a method name (names are restricted)", json.dumps(bad("method-name", confidence={injection: 0.5}))),
]
good_records = [good(i) for i in range(1, 21)]
# SQL injection attempts in every text field of good records: stored verbatim, never executed.
good_records.append(good(21, model=injection, site=injection, model_version=injection, case_ref=injection,
                         image_ref=injection, question=injection, attributes={injection: injection},
                         options=[injection, "b", "c", "d"]))
good_records.append(good(22, prediction_id="good-22-'; DELETE FROM quarantine; --"))
good_records.append(good(23, question="Ünïcödé ✓ 肺炎 — \u2028 fine"))

lines = []
for i, record in enumerate(good_records):
    lines.append(json.dumps(record).encode())
    if i < len(bad_kinds):
        kind, text = bad_kinds[i]
        lines.append(text.encode() if text is not None else b'{"prediction_id":"bad-utf8","model":"\xff\xfe"}')
for kind, text in bad_kinds[len(good_records):]:
    lines.append(text.encode() if text is not None else b'{"prediction_id":"bad-utf8","model":"\xff\xfe"}')
lines.append(json.dumps(good(1)).encode())  # an identical re-send inside the same file: a no-op
lines.append(b"   ")  # a blank line is skipped, not a record
with open(os.path.join(out, "corpus.jsonl"), "wb") as f:
    f.write(b"\n".join(lines) + b"\n")

# CSV: a header, good rows, and bad rows (wrong column count, bad number, unknown column handled by header).
csv_rows = ["prediction_id,model,occurred_at,options,option_probs,predicted",
            'csv-good-1,corpus-m2,2026-10-05T09:12:00Z,"[""a"",""b""]","[0.7,0.3]",0',
            'csv-good-2,corpus-m2,2026-10-05T09:12:00Z,"[""a"",""b""]","[0.4,0.6]",1',
            'csv-bad-columns,corpus-m2,2026-10-05T09:12:00Z',
            'csv-bad-number,corpus-m2,2026-10-05T09:12:00Z,"[""a"",""b""]","[0.7,zero]",0',
            'csv-bad-quote,corpus-m2,2026-10-05T09:12:00Z,"[""a"",""b""],"[0.7,0.3]",0']
with open(os.path.join(out, "corpus.csv"), "w", newline="") as f:
    f.write("\r\n".join(csv_rows) + "\r\n")

open(os.path.join(out, "empty.jsonl"), "w").close()
with open(os.path.join(out, "bom_crlf.jsonl"), "wb") as f:
    f.write(b"\xef\xbb\xbf" + json.dumps(good(101)).encode() + b"\r\n" + json.dumps(good(102)).encode() + b"\r\n")

expected = {"jsonl": {"good": len(good_records), "bad": len(bad_kinds), "kinds": [k for k, _ in bad_kinds]},
            "csv": {"good": 2, "bad": 3}, "bom_crlf": {"good": 2, "bad": 0}, "empty": {"good": 0, "bad": 0}}
json.dump(expected, open(os.path.join(out, "expected.json"), "w"), indent=1)
print(len(bad_kinds) + 3, "kinds of bad input,", len(good_records) + 4, "good records")
