#!/usr/bin/env python3
"""The same metric set and temperature fit as StatisticsBenchmark, in NumPy / SciPy / scikit-learn, on the same rows."""
import json
import resource
import sys
import time

import numpy as np
from scipy import optimize, special
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

folder, rows = sys.argv[1], int(sys.argv[2])
z = np.fromfile(f"{folder}/logits.f64", dtype="<f8").reshape(rows, 5)
y = np.fromfile(f"{folder}/labels.i64", dtype="<i8")

t0 = time.perf_counter()
p = special.softmax(z, axis=1)
pred = np.argmax(z, axis=1)
msp = p[np.arange(rows), pred]
c = (pred == y).astype(int)
edges = np.arange(16) / 15
idx = np.searchsorted(edges[1:-1], msp, side="left")
counts = np.bincount(idx, minlength=15)
conf = np.bincount(idx, weights=msp, minlength=15)
acc = np.bincount(idx, weights=c, minlength=15)
nz = counts > 0
gap = np.abs(acc[nz] / counts[nz] - conf[nz] / counts[nz])
ece, mce = float(np.sum(counts[nz] / rows * gap)), float(gap.max())
order = np.argsort(msp, kind="stable")
ace = float(sum(len(g) / rows * abs(c[g].mean() - msp[g].mean()) for g in np.array_split(order, 15)))
brier = float(brier_score_loss(c, msp))
auroc = float(roc_auc_score(c, msp))
auprc = float(average_precision_score(1 - c, -msp))
o = np.argsort(-msp, kind="stable")
s_sorted = msp[o]
cum_err = np.cumsum(1 - c[o])
last = np.r_[s_sorted[1:] != s_sorted[:-1], True]
n_k = np.arange(1, rows + 1)[last]
cov = n_k / rows
risk = cum_err[last] / n_k
aurc = float(np.sum(risk * np.diff(np.r_[0.0, cov])))
nc = int(c.sum())
k = np.arange(nc + 1, rows + 1)
oracle = float(np.sum((k - nc) / k) / rows)
random_aurc = 1 - nc / rows
prr = (random_aurc - aurc) / (random_aurc - oracle)
metrics_seconds = time.perf_counter() - t0

t1 = time.perf_counter()
def f(beta):
    scaled = beta * z
    return float(np.mean(special.logsumexp(scaled, axis=1) - scaled[np.arange(rows), y]))
res = optimize.minimize_scalar(f, bounds=(0.05, 20), method="bounded", options={"xatol": 1e-12})
fit_seconds = time.perf_counter() - t1

print(json.dumps({"rows": rows, "metrics_seconds": metrics_seconds, "fit_seconds": fit_seconds, "ece": ece, "mce": mce, "ace": ace,
                  "brier": brier, "auroc": auroc, "auprc_error": auprc, "aurc": aurc, "prr": prr, "temperature": 1 / res.x,
                  "resident_megabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}, sort_keys=True))
