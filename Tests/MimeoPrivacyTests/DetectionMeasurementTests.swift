import Foundation
import MimeoData
import Testing
@testable import MimeoPrivacy

/// Detection measured on the labelled table from `scripts/make-pii-table.py` (committed fixture, 200 rows):
/// per-entity precision and recall, every planted value gone from the transformed output.
///
/// Counting: a structured cell counts for the entity its column is labelled with, and is found when its
/// column is detected as that entity (the transform acts per column); a cell in a column labelled as not
/// personal data is a false positive for whatever its column was detected as. In free text, spans are
/// matched to the labels by row, entity and exact text; any other detected span is a false positive.
@Suite struct DetectionMeasurementTests {
    struct Labels: Decodable {
        struct Span: Decodable { var row: Int; var column: String; var entity: String; var text: String }
        var columns: [String: String?]
        var spans: [Span]
        var planted: [String]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load() throws -> (Table, Labels) {
        let table = try TableLoader(missingValues: [""]).load(path: fixtures.appendingPathComponent("pii-table.csv").path)
        let labels = try JSONDecoder().decode(Labels.self, from: Data(contentsOf: fixtures.appendingPathComponent("pii-labels.json")))
        return (table, labels)
    }

    struct Counts { var tp = 0, fp = 0, fn = 0
        var precision: Double { tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp) }
        var recall: Double { tp + fn == 0 ? 1 : Double(tp) / Double(tp + fn) }
    }

    static func measure() throws -> [String: Counts] {
        let (table, labels) = try load()
        let detector = PIIDetector()
        let findings = detector.detect(table)
        var counts: [String: Counts] = [:]
        for (index, finding) in findings.enumerated() {
            let label = labels.columns[finding.column] ?? nil
            let detected = finding.entity?.rawValue
            if label == "freeText" || detected == "freeText" {
                var labelled = labels.spans.filter { $0.column == finding.column }.map { "\($0.row)|\($0.entity)|\($0.text)" }
                for (row, value) in table.columns[index].enumerated() {
                    guard let value, detected == "freeText" else { continue }
                    for span in detector.spans(in: value) {
                        let key = "\(row)|\(span.entity.rawValue)|\(value[span.range])"
                        if let at = labelled.firstIndex(of: key) {
                            counts[span.entity.rawValue + " in text", default: Counts()].tp += 1
                            labelled.remove(at: at)
                        } else {
                            counts[span.entity.rawValue + " in text", default: Counts()].fp += 1
                        }
                    }
                }
                for missed in labelled { counts[String(missed.split(separator: "|")[1]) + " in text", default: Counts()].fn += 1 }
                continue
            }
            let cells = table.columns[index].compactMap { $0 }.count
            if let label {
                if detected == label { counts[label, default: Counts()].tp += cells } else {
                    counts[label, default: Counts()].fn += cells
                    if let detected { counts[detected, default: Counts()].fp += cells }
                }
            } else if let detected {
                counts[detected, default: Counts()].fp += cells
            }
        }
        return counts
    }

    @Test func precisionAndRecallPerEntity() throws {
        let counts = try Self.measure()
        var lines = ["entity                 TP   FP   FN  precision  recall"]
        var total = Counts()
        for (entity, c) in counts.sorted(by: { $0.key < $1.key }) {
            lines.append(entity.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%4d %4d %4d  %9.3f  %6.3f", c.tp, c.fp, c.fn, c.precision, c.recall))
            total.tp += c.tp; total.fp += c.fp; total.fn += c.fn
        }
        lines.append("overall               " + String(format: "%4d %4d %4d  %9.3f  %6.3f", total.tp, total.fp, total.fn, total.precision, total.recall))
        print(lines.joined(separator: "\n"))
        let structured = ["email", "phone", "creditCard", "iban", "ssn", "nino", "ipAddress", "url"]
        for entity in structured.flatMap({ [$0, $0 + " in text"] }) {
            let c = counts[entity] ?? Counts()
            #expect(c.recall >= 0.98, "\(entity) recall \(c.recall)")
            #expect(c.precision >= 0.95, "\(entity) precision \(c.precision)")
        }
        for entity in ["postalCode", "personName", "streetAddress", "dateOfBirth", "streetAddress in text"] {
            #expect((counts[entity] ?? Counts()).recall >= 0.95, "\(entity) recall")
        }
        // Names in prose are found only after a title or a listed first name: the generator plants some that
        // are neither, so this recall is measured, not perfect.
        #expect((counts["personName in text"] ?? Counts()).recall >= 0.5)
        #expect(total.precision >= 0.95, "overall precision \(total.precision)")
    }

    /// Whether `value` occurs in `text` as a whole token (not inside a longer run of letters or digits).
    static func containsToken(_ text: String, _ value: String) -> Bool {
        var searchRange = text.startIndex..<text.endIndex
        while let found = text.range(of: value, range: searchRange) {
            let before = found.lowerBound > text.startIndex ? text[text.index(before: found.lowerBound)] : " "
            let after = found.upperBound < text.endIndex ? text[found.upperBound] : " "
            if !(before.isLetter || before.isNumber) && !(after.isLetter || after.isNumber) { return true }
            searchRange = found.upperBound..<text.endIndex
        }
        return false
    }

    /// No detected planted value survives `--pii auto`: none appears as a whole token in its own row of the output,
    /// and none of 8 characters or more appears anywhere in the output. The only values that do survive are the
    /// free-text spans detection missed (names with an uncommon first name and no title), and what they contain. (A short value such as a 5-digit ZIP code
    /// does turn up by chance in another row's fake, say as an Amex card's last group: that is no leak, since
    /// fakes are drawn from HMAC digests and never copy their input.)
    @Test func noPlantedValueSurvives() throws {
        let (table, labels) = try Self.load()
        let transformer = TableTransformer(pseudonymizer: Pseudonymizer(key: try PseudonymKey(bytes: Array("measurement-key-0123456789".utf8))))
        let (safe, report) = try transformer.transform(table, policy: TransformPolicy())
        let output = String(decoding: TableTransformer.csv(safe), as: UTF8.self)
        var planted = Array(repeating: [String](), count: table.rowCount)
        for (index, name) in table.columnNames.enumerated() {
            guard let label = labels.columns[name] ?? nil, label != "freeText" else { continue }
            for (row, value) in table.columns[index].enumerated() { if let value { planted[row].append(value) } }
        }
        for span in labels.spans { planted[span.row].append(span.text) }
        #expect(Set(planted.flatMap { $0 }) == Set(labels.planted))
        let detector = PIIDetector()
        let notes = table.columnIndex(named: "notes")!
        var missed = Array(repeating: [String](), count: table.rowCount)
        for span in labels.spans {
            let text = table.columns[notes][span.row] ?? ""
            let found = detector.spans(in: text).contains { text[$0.range] == span.text }
            if !found { missed[span.row].append(span.text) }
        }
        var leaked: [String] = []
        var missedLeaks = 0
        for row in 0..<safe.rowCount {
            let line = safe.columns.map { $0[row] ?? "" }.joined(separator: "\u{1}")
            for value in planted[row] where Self.containsToken(line, value) {
                if missed[row].contains(where: { Self.containsToken($0, value) }) { missedLeaks += 1 } else { leaked.append(value) }
            }
        }
        let allMissed = missed.flatMap { $0 }
        leaked += Set(labels.planted).filter { value in
            value.count >= 8 && Self.containsToken(output, value) && !allMissed.contains { Self.containsToken($0, value) }
        }
        #expect(leaked.isEmpty, "leaked: \(leaked.prefix(10))")
        #expect(allMissed.count <= 26, "free-text spans missed by detection (26 when measured): \(allMissed.count)")
        print("planted values: \(Set(labels.planted).count); surviving in the output: \(missedLeaks), all inside the \(allMissed.count) missed free-text names")
        // Look-alikes are kept as they were.
        for name in ["order_id", "product_code", "tracking_number", "created_at", "signup_date", "app_version", "amount", "device_id", "isbn"] {
            let i = table.columnIndex(named: name)!, j = safe.columnIndex(named: name)!
            #expect(table.columns[i] == safe.columns[j], "\(name)")
            #expect(report.plan[i].action == .keep, "\(name)")
        }
    }
}
