import Foundation
import Yams

/// What to do with a column (or with the spans inside a free-text column).
public enum TransformAction: String, Codable, Sendable, CaseIterable {
    /// Leave the values as they are.
    case keep
    /// Remove the column.
    case drop
    /// Replace each value (or span) by a consistent realistic fake (`Pseudonymizer.fake`).
    case fake
    /// Replace each value (or span) by its keyed hash (32 hexadecimal digits).
    case hash
    /// Replace each value (or span) by a placeholder such as `[EMAIL]`.
    case redact
    /// Coarsen: dates to the month, ages to 10-year bands, postal codes to their prefix.
    case generalise

    /// Whether the action needs the pseudonym key.
    public var needsKey: Bool { self == .fake || self == .hash }

    /// The action `--pii auto` takes for a detected entity.
    public static func automatic(for entity: PIIEntity?) -> TransformAction {
        switch entity {
        case nil: return .keep
        case .postalCode?, .dateOfBirth?: return .generalise
        default: return .fake
        }
    }
}

/// A policy file: per-column actions that override the automatic choice.
///
/// ```yaml
/// pii: auto            # detect and treat the columns not listed (default); `off` keeps them
/// columns:
///   email: fake
///   notes: redact
///   age: generalise
///   internal_id: drop
///   zip: {action: generalise, entity: postalCode}
/// ```
public struct TransformPolicy: Sendable, Equatable {
    /// One column's rule.
    public struct Rule: Sendable, Equatable {
        public var action: TransformAction
        /// Treat the column as this entity (for fakes and free-text spans) instead of the detected one.
        public var entity: PIIEntity?
        public init(action: TransformAction, entity: PIIEntity? = nil) {
            self.action = action
            self.entity = entity
        }
    }

    /// Whether columns not listed are detected and treated automatically.
    public var detectUnlisted: Bool
    /// Rules by column name.
    public var columns: [String: Rule]

    public init(detectUnlisted: Bool = true, columns: [String: Rule] = [:]) {
        self.detectUnlisted = detectUnlisted
        self.columns = columns
    }

    /// Parses a policy from YAML text.
    ///
    /// - Throws: `PrivacyError` naming what is wrong (unknown keys, actions or entities).
    public static func parse(yaml text: String, file: String = "policy") throws -> TransformPolicy {
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw PrivacyError("\(file): not valid YAML: \(error)")
        }
        guard let root = node as? [String: Any] else {
            throw PrivacyError("\(file): expected a mapping with `columns:` (and optionally `pii: auto|off`)")
        }
        for key in root.keys where key != "pii" && key != "columns" {
            throw PrivacyError("\(file): unknown key '\(key)' (expected `pii` or `columns`)")
        }
        var policy = TransformPolicy()
        if let pii = root["pii"] {
            switch "\(pii)" {
            case "auto": policy.detectUnlisted = true
            case "off", "false": policy.detectUnlisted = false
            default: throw PrivacyError("\(file): `pii` must be `auto` or `off`, not '\(pii)'")
            }
        }
        guard let columns = root["columns"] else { return policy }
        guard let mapping = columns as? [AnyHashable: Any] else {
            throw PrivacyError("\(file): `columns` must map column names to actions")
        }
        let actions = TransformAction.allCases.map(\.rawValue).joined(separator: ", ")
        let entities = PIIEntity.allCases.map(\.rawValue).joined(separator: ", ")
        for (key, value) in mapping {
            // A column named `2024` or `true` is read by YAML as a number or a boolean: use its text.
            let name = "\(key.base)"
            var actionName: String
            var entity: PIIEntity?
            if let text = value as? String {
                actionName = text
            } else if let rule = value as? [String: Any] {
                for key in rule.keys where key != "action" && key != "entity" {
                    throw PrivacyError("\(file): column '\(name)': unknown key '\(key)' (expected `action` and `entity`)")
                }
                guard let action = rule["action"] as? String else {
                    throw PrivacyError("\(file): column '\(name)': missing `action` (one of \(actions))")
                }
                actionName = action
                if let entityName = rule["entity"] {
                    guard let parsed = PIIEntity(rawValue: "\(entityName)") else {
                        throw PrivacyError("\(file): column '\(name)': unknown entity '\(entityName)' (one of \(entities))")
                    }
                    entity = parsed
                }
            } else {
                throw PrivacyError("\(file): column '\(name)': expected an action (\(actions)) or {action, entity}")
            }
            if actionName == "generalize" { actionName = "generalise" }
            guard let action = TransformAction(rawValue: actionName) else {
                throw PrivacyError("\(file): column '\(name)': unknown action '\(actionName)' (one of \(actions))")
            }
            policy.columns[name] = Rule(action: action, entity: entity)
        }
        return policy
    }
}
