import Foundation
import MimeoData

/// What a transform does to one column, and why.
public struct ColumnPlan: Codable, Sendable, Equatable {
    public var column: String
    public var action: TransformAction
    /// The entity the action treats the values as (detected, or from the policy).
    public var entity: PIIEntity?
    /// `auto` (from detection) or `policy`.
    public var source: String
}

/// The report of a transform: per column what was found and done, never a value.
public struct TransformReport: Codable, Sendable {
    public var rows: Int
    public var findings: [ColumnFinding]
    public var plan: [ColumnPlan]
    /// Cells changed per column (spans replaced, for free text).
    public var replaced: [String: Int]
}

/// Detects personal data in a table and applies a policy's (or the automatic) actions.
///
/// ```swift
/// let transformer = TableTransformer(pseudonymizer: Pseudonymizer(key: key))
/// let (safe, report) = try transformer.transform(table, policy: TransformPolicy())
/// ```
public struct TableTransformer: Sendable {
    public var detector = PIIDetector()
    /// Needed by `fake` and `hash`.
    public var pseudonymizer: Pseudonymizer?

    public init(detector: PIIDetector = PIIDetector(), pseudonymizer: Pseudonymizer?) {
        self.detector = detector
        self.pseudonymizer = pseudonymizer
    }

    /// The findings and the per-column plan for `table` under `policy`.
    ///
    /// - Throws: `PrivacyError` for a policy naming an unknown column, an action needing a key without one, or
    ///   `generalise` on free text.
    public func plan(_ table: Table, policy: TransformPolicy) throws -> (findings: [ColumnFinding], plan: [ColumnPlan]) {
        for name in policy.columns.keys.sorted() where table.columnIndex(named: name) == nil {
            throw PrivacyError("the policy names column '\(name)', which the table does not have (columns: \(table.columnNames.joined(separator: ", ")))")
        }
        let findings = detector.detect(table)
        var plans: [ColumnPlan] = []
        for finding in findings {
            let plan: ColumnPlan
            if let rule = policy.columns[finding.column] {
                plan = ColumnPlan(column: finding.column, action: rule.action, entity: rule.entity ?? finding.entity, source: "policy")
            } else if policy.detectUnlisted {
                plan = ColumnPlan(column: finding.column, action: .automatic(for: finding.entity), entity: finding.entity, source: "auto")
            } else {
                plan = ColumnPlan(column: finding.column, action: .keep, entity: finding.entity, source: "policy")
            }
            if plan.action.needsKey && pseudonymizer == nil {
                throw PrivacyError("column '\(plan.column)' is to be \(plan.action == .fake ? "faked" : "hashed"), which needs a key: give --key-file or set \(PseudonymKey.environmentVariable)")
            }
            if plan.action == .generalise && plan.entity == .freeText {
                throw PrivacyError("column '\(plan.column)' is free text, which cannot be generalised (use fake, hash, redact or drop)")
            }
            plans.append(plan)
        }
        return (findings, plans)
    }

    /// The transformed table and the report.
    public func transform(_ table: Table, policy: TransformPolicy) throws -> (table: Table, report: TransformReport) {
        let (findings, plans) = try plan(table, policy: policy)
        var names: [String] = []
        var columns: [[String?]] = []
        var replaced: [String: Int] = [:]
        for (plan, values) in zip(plans, table.columns) where plan.action != .drop {
            names.append(plan.column)
            var count = 0
            columns.append(apply(plan, to: values, changed: &count))
            replaced[plan.column] = count
        }
        return (Table(columnNames: names, columns: columns),
                TransformReport(rows: table.rowCount, findings: findings, plan: plans, replaced: replaced))
    }

    /// One column's values after its plan's action (missing cells stay missing).
    func apply(_ plan: ColumnPlan, to values: [String?], changed: inout Int) -> [String?] {
        guard plan.action != .keep else { return values }
        let words = Set(ColumnHints.words(plan.column))
        let givenName: Bool? = !words.isDisjoint(with: ["first", "given", "forename", "firstname", "givenname"]) ? true
            : !words.isDisjoint(with: ["last", "surname", "family", "lastname", "familyname"]) ? false : nil
        var cache: [String: String] = [:]
        var count = 0
        let result = values.map { value -> String? in
            guard let value, !value.isEmpty else { return value }
            if let done = cache[value] { count += done == value ? 0 : 1; return done }
            let output: String
            if plan.entity == .freeText {
                output = replaceSpans(in: value, action: plan.action)
            } else {
                output = replace(value[...], entity: plan.entity, action: plan.action, givenName: givenName)
            }
            cache[value] = output
            if output != value { count += 1 }
            return output
        }
        changed = count
        return result
    }

    /// One value after `action`, as `entity`.
    func replace(_ value: Substring, entity: PIIEntity?, action: TransformAction, givenName: Bool? = nil) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)[...]
        switch action {
        case .keep, .drop: return String(value)
        case .fake: return pseudonymizer!.fake(trimmed, as: entity, givenName: givenName)
        case .hash: return pseudonymizer!.hash(trimmed, entity: entity)
        case .redact: return Pseudonymizer.redaction(for: entity)
        case .generalise: return Pseudonymizer.generalised(trimmed, entity: entity) ?? Pseudonymizer.redaction(for: entity)
        }
    }

    /// The text with each detected span replaced in place (a generalised span is redacted).
    public func replaceSpans(in text: String, action: TransformAction) -> String {
        let spans = detector.spans(in: text)
        guard !spans.isEmpty else { return text }
        var output = ""
        var position = text.startIndex
        for span in spans {
            output += text[position..<span.range.lowerBound]
            output += replace(text[span.range], entity: span.entity, action: action == .generalise ? .redact : action)
            position = span.range.upperBound
        }
        output += text[position...]
        return output
    }

    /// The table as CSV bytes (RFC 4180 quoting, missing cells empty, `\n` line ends).
    public static func csv(_ table: Table, delimiter: UInt8 = UInt8(ascii: ",")) -> [UInt8] {
        var bytes: [UInt8] = []
        var start = 0
        for (index, name) in table.columnNames.enumerated() {
            if index > 0 { bytes.append(delimiter) }
            CSVField.append(name, delimiter: delimiter, to: &bytes)
        }
        CSVField.endRow(startingAt: start, in: &bytes)
        for row in 0..<table.rowCount {
            start = bytes.count
            for column in table.columns.indices {
                if column > 0 { bytes.append(delimiter) }
                if let value = table.columns[column][row] { CSVField.append(value, delimiter: delimiter, to: &bytes) }
            }
            CSVField.endRow(startingAt: start, in: &bytes)
        }
        return bytes
    }
}
