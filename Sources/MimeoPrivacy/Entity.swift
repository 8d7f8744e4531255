/// A kind of personal data that `PIIDetector` finds and `Pseudonymizer` replaces.
public enum PIIEntity: String, Codable, Sendable, CaseIterable, Comparable {
    case email
    case phone
    case creditCard
    case iban
    case ssn
    case nino
    case ipAddress
    case url
    case postalCode
    case personName
    case streetAddress
    case dateOfBirth
    /// A text column containing any of the others inside its cells (see `PIIDetector.spans(in:)`).
    case freeText

    public static func < (lhs: PIIEntity, rhs: PIIEntity) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Entities found by a validator on the cell alone (checksums or strict syntax), without a column-name hint.
    public static let validated: [PIIEntity] = [.email, .phone, .creditCard, .iban, .ssn, .nino, .ipAddress, .url]
    /// Entities that need a column-name hint as well as a plausible shape (no validator can tell them apart).
    public static let hintRequired: [PIIEntity] = [.postalCode, .personName, .streetAddress, .dateOfBirth]
}
