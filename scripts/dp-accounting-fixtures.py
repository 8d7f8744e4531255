#!/usr/bin/env python3
"""Reference ε values from Google's dp-accounting for MimeoFederated's RDP accountant.

Writes Tests/MimeoFederatedTests/Fixtures/dp-accounting-rdp.json: for every combination of noise
multiplier, sampling rate, number of rounds and δ in the grid below, the ε that
`dp_accounting.rdp.RdpAccountant` (default orders, add-or-remove-one) reports after composing
`rounds` times a `PoissonSampledDpEvent(q, GaussianDpEvent(z))`; and, for a few targets, the noise
multiplier that `dp_accounting.calibrate_dp_mechanism` finds for a target (ε, δ, rounds, q).

Run with `make dp-accounting-fixtures` (installs the pinned dp-accounting into .build/venv-dp-accounting).
"""

import json
import math
import os
import sys

from absl import logging as absl_logging
import dp_accounting
from dp_accounting import dp_event
from dp_accounting.rdp import rdp_privacy_accountant as rdp

NOISE_MULTIPLIERS = [0.5, 0.7, 1.0, 1.3, 2.0, 3.0, 5.0]
SAMPLING_RATES = [0.01, 0.05, 0.1, 0.3, 0.6, 1.0]
ROUNDS = [1, 10, 100, 1000]
DELTAS = [1e-5, 1e-6]
CALIBRATION_TARGETS = [  # (epsilon, delta, rounds, sampling rate)
    (4.0, 1e-6, 40, 1.0),
    (4.0, 1e-6, 100, 0.3),
    (1.0, 1e-5, 1000, 0.01),
    (8.0, 1e-5, 10, 0.5),
]


def event(q, z, rounds):
    return dp_event.SelfComposedDpEvent(
        dp_event.PoissonSampledDpEvent(q, dp_event.GaussianDpEvent(z)), rounds)


def epsilon(q, z, rounds, delta):
    accountant = rdp.RdpAccountant()
    accountant.compose(event(q, z, rounds))
    return accountant.get_epsilon_and_optimal_order(delta)


def main(out_path):
    # dp-accounting warns for every fractional order whose series does not converge (it then excludes
    # that order, as the Swift port does); the warnings are expected for small σ and large q.
    absl_logging.set_verbosity(absl_logging.ERROR)
    cases = []
    for z in NOISE_MULTIPLIERS:
        for q in SAMPLING_RATES:
            for rounds in ROUNDS:
                for delta in DELTAS:
                    eps, order = epsilon(q, z, rounds, delta)
                    if not math.isfinite(eps):
                        raise SystemExit(f"non-finite epsilon for z={z} q={q} rounds={rounds} delta={delta}")
                    cases.append({"noise_multiplier": z, "sampling_rate": q, "rounds": rounds,
                                  "delta": delta, "epsilon": eps, "order": float(order)})
    calibrations = []
    for target_epsilon, delta, rounds, q in CALIBRATION_TARGETS:
        z = dp_accounting.calibrate_dp_mechanism(
            rdp.RdpAccountant, lambda z, q=q, rounds=rounds: event(q, z, rounds),
            target_epsilon, delta, tol=1e-6)
        calibrations.append({"target_epsilon": target_epsilon, "delta": delta, "rounds": rounds,
                             "sampling_rate": q, "noise_multiplier": z})
    document = {
        "generator": "scripts/dp-accounting-fixtures.py",
        "dp_accounting_version": dp_accounting.__version__ if hasattr(dp_accounting, "__version__") else "0.6.0",
        "default_orders": [float(a) for a in rdp.DEFAULT_RDP_ORDERS],
        "cases": cases,
        "calibrations": calibrations,
    }
    with open(out_path + ".tmp", "w") as f:
        json.dump(document, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(out_path + ".tmp", out_path)
    print(f"wrote {len(cases)} cases and {len(calibrations)} calibrations to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Tests/MimeoFederatedTests/Fixtures/dp-accounting-rdp.json")
