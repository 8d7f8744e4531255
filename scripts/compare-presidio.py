#!/usr/bin/env python3
"""Run Microsoft Presidio's pattern-based recognizers on the labelled PII table (scripts/make-pii-table.py) and
print per-entity precision and recall, counted like Mimeo's DetectionMeasurementTests where possible.

    make presidio-compare        # venv .build/venv-presidio with presidio-analyzer; not part of `make test`

Presidio's PERSON and LOCATION recognisers need a spaCy English pipeline, which is not on PyPI (spaCy
downloads it from GitHub): the comparison therefore covers the pattern-based entities only (e-mail, phone,
card, IBAN, US SSN, UK NINO, IP, URL), each recognizer called directly without NLP artefacts, so there is no
context boost from words such as "card" or "phone" nearby.

Counting differs from Mimeo's on purpose: Presidio has no notion of a column, so each structured cell counts
on its own (found when a result of the labelled entity covers at least 70% of the cell's text); a look-alike cell with any
result is a false positive. Spans in the notes column count as found when a result of the right entity
overlaps the planted text.
"""
import csv
import json
import sys
from collections import defaultdict

from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, EmailRecognizer, IbanRecognizer,
                                                      IpRecognizer, PhoneRecognizer, UrlRecognizer, UsSsnRecognizer)

try:
    from presidio_analyzer.predefined_recognizers import UkNinoRecognizer
except ImportError:  # older releases
    UkNinoRecognizer = None

MAP = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "CREDIT_CARD": "creditCard", "IBAN_CODE": "iban",
       "US_SSN": "ssn", "UK_NINO": "nino", "IP_ADDRESS": "ipAddress", "URL": "url"}


def main():
    table_path, labels_path = sys.argv[1], sys.argv[2]
    threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 0.5
    recognizers = [EmailRecognizer(), PhoneRecognizer(supported_regions=("US", "GB", "FR", "DE")), CreditCardRecognizer(),
                   IbanRecognizer(), UsSsnRecognizer(), IpRecognizer(), UrlRecognizer()]
    if UkNinoRecognizer:
        recognizers.append(UkNinoRecognizer())

    def analyze(text):
        found = []
        for recognizer in recognizers:
            for r in recognizer.analyze(text, recognizer.supported_entities, None) or []:
                if r.score >= threshold and r.entity_type in MAP:
                    found.append((MAP[r.entity_type], r.start, r.end))
        # URL results inside e-mails are the e-mail's domain: drop results contained in a longer one.
        return [f for f in found if not any(o != f and o[1] <= f[1] and f[2] <= o[2] and (o[2] - o[1]) > (f[2] - f[1]) for o in found)]

    labels = json.load(open(labels_path))
    rows = list(csv.DictReader(open(table_path)))
    counts = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    pattern_entities = set(MAP.values())
    for column, label in labels["columns"].items():
        if label == "freeText":
            continue
        for row in rows:
            text = row[column]
            if not text:
                continue
            found = analyze(text)
            if label in pattern_entities:
                if any(e == label and end - s >= 0.7 * len(text.strip()) for e, s, end in found):
                    counts[label][0] += 1
                else:
                    counts[label][2] += 1
                for e in {e for e, _, _ in found if e != label}:
                    counts[e][1] += 1
            elif label is None:
                for e in {e for e, _, _ in found}:
                    counts[e][1] += 1
    spans = defaultdict(list)
    for s in labels["spans"]:
        spans[s["row"]].append(s)
    for i, row in enumerate(rows):
        text = row["notes"]
        wanted = [s for s in spans[i] if s["entity"] in pattern_entities]
        for e, start, end in analyze(text):
            match = next((s for s in wanted if s["entity"] == e and text.find(s["text"]) < end and start < text.find(s["text"]) + len(s["text"])), None)
            if match:
                counts[e][0] += 1
                wanted.remove(match)
            else:
                counts[e][1] += 1
        for s in wanted:
            counts[s["entity"]][2] += 1
    print("Presidio pattern recognizers, score >= %.2f" % threshold)
    print("entity          TP   FP   FN  precision  recall")
    total = [0, 0, 0]
    for e in sorted(counts):
        tp, fp, fn = counts[e]
        total = [total[0] + tp, total[1] + fp, total[2] + fn]
        print("%-14s %4d %4d %4d  %9.3f  %6.3f" % (e, tp, fp, fn, tp / max(1, tp + fp), tp / max(1, tp + fn)))
    tp, fp, fn = total
    print("%-14s %4d %4d %4d  %9.3f  %6.3f" % ("overall", tp, fp, fn, tp / max(1, tp + fp), tp / max(1, tp + fn)))


if __name__ == "__main__":
    main()
