#!/usr/bin/env bash
# Statistics speed: the full metric set of one method and the temperature fit on N rows × 5 options (default 1 M),
# Swift (release) and NumPy/SciPy/scikit-learn side by side in one run, on the same rows; prints both and the ratios.
# Needs python3 with numpy, scipy and scikit-learn.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
VLM_AUDIT_BENCHMARKS=1 swift build -c release --product StatisticsBenchmark >/dev/null
swift_json=$(VLM_AUDIT_BENCHMARKS=1 swift run -c release --skip-build StatisticsBenchmark "$work" "$rows")
python_json=$(python3 Benchmarks/statistics_baseline.py "$work" "$rows")
python3 - "$swift_json" "$python_json" <<'PY'
import json, sys
s, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"rows: {s['rows']:,} x 5 options")
print(f"{'':24}{'Swift':>10}{'NumPy/SciPy':>14}{'ratio':>9}")
for key, label in [("metrics_seconds", "metric set (s)"), ("fit_seconds", "temperature fit (s)")]:
    print(f"{label:24}{s[key]:>10.3f}{p[key]:>14.3f}{p[key] / s[key]:>8.1f}x")
print(f"{'peak memory (MB)':24}{s['resident_megabytes']:>10.0f}{p['resident_megabytes']:>14.0f}")
worst = max(abs(s[k] - p[k]) / max(abs(p[k]), 1e-300) for k in ["ece", "mce", "ace", "brier", "auroc", "auprc_error", "aurc", "prr"])
print(f"largest relative difference between the two: metrics {worst:.1e}, T {abs(s['temperature'] - p['temperature']) / p['temperature']:.1e}")
print("targets: metric set >= 5x, fit >= 3x, same answers")
PY
