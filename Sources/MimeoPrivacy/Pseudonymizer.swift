import Crypto
import Foundation

/// The secret behind consistent pseudonyms. Read from a file or an environment variable, never from an argument
/// (which other users can see in the process list).
public struct PseudonymKey: Sendable {
    /// The environment variable read when no key file is given.
    public static let environmentVariable = "MIMEO_TRANSFORM_KEY"
    /// Fewest bytes accepted.
    public static let minimumLength = 16

    /// The raw bytes (`SymmetricKey` is not `Sendable`; one is made per digest).
    let bytes: [UInt8]

    /// A key from raw bytes.
    ///
    /// - Throws: `PrivacyError` when shorter than `minimumLength` bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= Self.minimumLength else {
            throw PrivacyError("the key has \(bytes.count) bytes; at least \(Self.minimumLength) are needed (for example `head -c 32 /dev/urandom > secret.key`)")
        }
        self.bytes = bytes
    }

    /// The key in the file at `path` (one trailing newline is ignored, so `echo`-made keys work).
    public static func load(file path: String) throws -> PseudonymKey {
        guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
            throw PrivacyError("cannot read the key file '\(path)' (missing or unreadable)")
        }
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return try PseudonymKey(bytes: bytes)
    }

    /// The key in `MIMEO_TRANSFORM_KEY`, or nil when it is unset or empty.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PseudonymKey? {
        guard let value = environment[environmentVariable], !value.isEmpty else { return nil }
        return try PseudonymKey(bytes: Array(value.utf8))
    }
}

/// An error in a transform's settings (key, policy), worded for the user.
public struct PrivacyError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A deterministic stream of numbers seeded by an HMAC digest (SplitMix64).
struct KeyedStream {
    var state: UInt64

    init(digest: [UInt8]) {
        state = digest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    mutating func digit() -> Character { Character(String(below(10))) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Consistent pseudonyms: the same value and entity under the same key always give the same fake, so joins on
/// a faked column survive; another key gives other fakes. The fake is drawn from HMAC-SHA256(key, entity,
/// normalised value): realistic values of the same kind and format (a name from built-in lists, an e-mail
/// whose local part follows a fake name, a Luhn-valid card with the same issuer prefix and length, an IBAN of
/// the same country with valid check digits, a valid-shaped SSN, an IP address).
public struct Pseudonymizer: Sendable {
    let key: PseudonymKey

    public init(key: PseudonymKey) { self.key = key }

    /// HMAC-SHA256 of the entity's name and the normalised value.
    func digest(_ entity: PIIEntity?, _ value: Substring) -> [UInt8] {
        var message = Array((entity?.rawValue ?? "value").utf8)
        message.append(0)
        message.append(contentsOf: Self.normalised(entity, value).utf8)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key.bytes)))
    }

    /// The form two spellings of one value share: e-mails lower-cased, numbers as their digits.
    static func normalised(_ entity: PIIEntity?, _ value: Substring) -> String {
        switch entity {
        case .email, .url: return value.lowercased()
        case .phone, .creditCard, .ssn: return String(value.filter { $0.asciiDigit != nil })
        case .iban, .nino, .postalCode: return value.filter { $0 != " " }.uppercased()
        default: return String(value)
        }
    }

    /// The keyed hash of a value: 32 hexadecimal digits (128 bits of HMAC-SHA256).
    public func hash(_ value: Substring, entity: PIIEntity? = nil) -> String {
        digest(entity, value).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// A realistic fake of `value` as `entity` (format-preserving letters and digits when nil).
    ///
    /// - Parameter givenName: For a one-word name: true gives a first name, false a surname; nil decides by
    ///   whether the value is in the built-in first-name list.
    public func fake(_ value: Substring, as entity: PIIEntity?, givenName: Bool? = nil) -> String {
        var stream = KeyedStream(digest: digest(entity, value))
        switch entity {
        case .email:
            let (first, last) = (stream.pick(NameLists.firstNames), stream.pick(NameLists.lastNames))
            let domain = stream.pick(["example.com", "example.org", "example.net"])
            return "\(first.lowercased()).\(last.lowercased())\(stream.below(1000))@\(domain)"
        case .personName:
            let words = value.split(separator: " ")
            if words.count <= 1 {
                return (givenName ?? NameLists.firstNameSet.contains(String(value))) ? stream.pick(NameLists.firstNames) : stream.pick(NameLists.lastNames)
            }
            let first = stream.pick(NameLists.firstNames), last = stream.pick(NameLists.lastNames)
            if words.count >= 3 { return "\(first) \(stream.pick(Array("ABCDEFGHJKLMNPRSTW"))). \(last)" }
            return "\(first) \(last)"
        case .phone: return fakePhone(value, &stream)
        case .creditCard: return fakeCard(value, &stream)
        case .iban: return fakeIBAN(value, &stream)
        case .ssn:
            var area = 1 + stream.below(899)
            if area == 666 { area = 665 }
            let digits = String(format: "%03d", area) + String(format: "%02d", 1 + stream.below(99)) + String(format: "%04d", 1 + stream.below(9999))
            let separator: String = value.contains("-") ? "-" : value.contains(" ") ? " " : ""
            return [digits.prefix(3), digits.dropFirst(3).prefix(2), digits.suffix(4)].joined(separator: separator)
        case .nino:
            let firstLetters = Array("ABCEGHJKLMNOPRSTWXYZ"), secondLetters = Array("ABCEGHJKLMNPRSTWXYZ")
            var prefix = ""
            repeat { prefix = String([stream.pick(firstLetters), stream.pick(secondLetters)]) } while ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(prefix)
            let digits = (0..<6).map { _ in stream.digit() }
            let suffix = stream.pick(Array("ABCD"))
            if value.contains(" ") {
                return "\(prefix) \(String(digits[0...1])) \(String(digits[2...3])) \(String(digits[4...5])) \(suffix)"
            }
            return prefix + String(digits) + String(suffix)
        case .ipAddress:
            if value.contains(":") {
                var groups = [String(format: "fd%02x", stream.below(256))]
                for _ in 0..<7 { groups.append(String(format: "%x", stream.below(65536))) }
                return groups.joined(separator: ":")
            }
            return "10.\(stream.below(256)).\(stream.below(256)).\(1 + stream.below(254))"
        case .url:
            let lower = value.lowercased()
            let scheme = lower.hasPrefix("http://") ? "http" : lower.hasPrefix("ftp://") ? "ftp" : "https"
            let host = "\(stream.pick(NameLists.urlWords))-\(String(format: "%04x", stream.below(65536))).example.com"
            let afterScheme = lower.range(of: "://").map { lower[$0.upperBound...] } ?? lower[...]
            let hasPath = afterScheme.contains("/") && !afterScheme.hasSuffix("/") || afterScheme.filter({ $0 == "/" }).count > 1
            return "\(scheme)://\(host)/" + (hasPath ? String(format: "%08x", UInt32(truncatingIfNeeded: stream.next())) : "")
        case .streetAddress:
            return "\(1 + stream.below(9999)) \(stream.pick(NameLists.streetNames)) \(stream.pick(NameLists.streetSuffixes))"
        case .dateOfBirth:
            guard let date = PIIValidators.parseDate(value) else { return formatPreserving(value, &stream) }
            let year = date.year - 5 + stream.below(11), month = 1 + stream.below(12), day = 1 + stream.below(28)
            return Self.format(date: (year, month, day), like: value)
        case .postalCode, .freeText, nil:
            return formatPreserving(value, &stream)
        }
    }

    /// Letters to random letters of the same case, digits to random digits, everything else kept.
    func formatPreserving(_ value: Substring, _ stream: inout KeyedStream) -> String {
        String(value.map { character -> Character in
            if character.asciiDigit != nil { return stream.digit() }
            if character.isASCII && character.isUppercase { return Character(UnicodeScalar(UInt8(65 + stream.below(26)))) }
            if character.isASCII && character.isLowercase { return Character(UnicodeScalar(UInt8(97 + stream.below(26)))) }
            return character
        })
    }

    /// A date written in the order and separators of `original`.
    static func format(date: (year: Int, month: Int, day: Int), like original: Substring) -> String {
        let separator = original.first { $0 == "-" || $0 == "/" || $0 == "." } ?? "-"
        let y = String(format: "%04d", date.year), m = String(format: "%02d", date.month), d = String(format: "%02d", date.day)
        if original.prefix(4).allSatisfy({ $0.asciiDigit != nil }) { return [y, m, d].joined(separator: String(separator)) }
        let firstPart = Int(original.prefix { $0.asciiDigit != nil }) ?? 0
        return (firstPart > 12 || separator == "." ? [d, m, y] : [m, d, y]).joined(separator: String(separator))
    }

    func fakePhone(_ value: Substring, _ stream: inout KeyedStream) -> String {
        let characters = Array(value)
        let digitPositions = characters.indices.filter { characters[$0].asciiDigit != nil }
        var keep = 0
        if characters.first == "+" {
            let firstGroup = characters.dropFirst().prefix { $0.asciiDigit != nil }.count
            keep = firstGroup <= 3 && firstGroup < digitPositions.count ? firstGroup : 1
        } else if let first = digitPositions.first, characters[first] == "0" || characters[first] == "1" && digitPositions.count == 11 {
            keep = 1
        }
        var output = characters
        repeat {
            output = characters
            var drawn = 0
            for position in digitPositions.dropFirst(keep) {
                // Area and exchange codes that start 2–9 keep North American numbers valid.
                let digit = drawn == 0 || drawn == 3 ? 2 + stream.below(8) : stream.below(10)
                drawn += 1
                output[position] = Character(String(digit))
            }
        } while output == characters && digitPositions.count > keep
        return String(output)
    }

    func fakeCard(_ value: Substring, _ stream: inout KeyedStream) -> String {
        let digits = value.compactMap(\.asciiDigit)
        guard digits.count >= 2 else { return formatPreserving(value, &stream) }
        let issuer = PIIValidators.cardIssuer(digits)
        func prefix(_ n: Int) -> Int { digits.prefix(n).reduce(0) { $0 * 10 + Int($1) } }
        let keep: Int
        switch issuer {
        case "visa": keep = 1
        case "mastercard": keep = digits[0] == 5 ? 2 : 4
        case "amex": keep = 2
        case "discover": keep = prefix(4) == 6011 ? 4 : digits[1] == 4 ? 3 : 2
        case "jcb": keep = 4
        case "diners": keep = digits[1] == 0 ? 3 : 2
        default: keep = 1
        }
        var fake: [UInt8] = []
        repeat {
            fake = Array(digits.prefix(keep))
            while fake.count < digits.count - 1 { fake.append(UInt8(stream.below(10))) }
            let sum = PIIValidators.luhnSum(fake, checkDigitIncluded: false)
            fake.append(UInt8((10 - sum % 10) % 10))
        } while fake == digits
        var iterator = fake.makeIterator()
        return String(value.map { $0.asciiDigit != nil ? Character(String(iterator.next()!)) : $0 })
    }

    func fakeIBAN(_ value: Substring, _ stream: inout KeyedStream) -> String {
        let compact = Array(value.filter { $0 != " " }.uppercased())
        guard compact.count >= 5, compact[0].isLetter, compact[1].isLetter else { return formatPreserving(value, &stream) }
        var bban: [Character] = []
        repeat {
            bban = compact[4...].map { $0.isLetter ? Character(UnicodeScalar(UInt8(65 + stream.below(26)))) : stream.digit() }
        } while bban == Array(compact[4...])
        let check = 98 - PIIValidators.ibanMod97(bban + Array(compact[0...1]) + ["0", "0"])
        let iban = Array(compact[0...1]) + Array(String(format: "%02d", check)) + bban
        guard value.contains(" ") else { return String(iban) }
        return stride(from: 0, to: iban.count, by: 4).map { String(iban[$0..<min($0 + 4, iban.count)]) }.joined(separator: " ")
    }

    /// The placeholder that replaces a redacted value.
    public static func redaction(for entity: PIIEntity?) -> String {
        guard let entity, entity != .freeText else { return "[REDACTED]" }
        let names: [PIIEntity: String] = [.email: "EMAIL", .phone: "PHONE", .creditCard: "CARD", .iban: "IBAN", .ssn: "SSN",
                                          .nino: "NINO", .ipAddress: "IP", .url: "URL", .postalCode: "POSTCODE",
                                          .personName: "NAME", .streetAddress: "ADDRESS", .dateOfBirth: "DATE"]
        return "[\(names[entity]!)]"
    }

    /// A coarser value: dates to their month (`1984-03`), ages (whole numbers 0–150) to 10-year bands
    /// (`30-39`), US ZIP codes to their first three digits, UK postcodes to their outward code. Nil when the
    /// value is none of these.
    public static func generalised(_ value: Substring, entity: PIIEntity?) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)[...]
        if entity == .postalCode || entity == nil {
            if PIIValidators.isZIP(trimmed) { return String(trimmed.prefix(3)) }
            if PIIValidators.isUKPostcode(trimmed) {
                let compact = trimmed.uppercased().filter { $0 != " " }
                return String(compact.dropLast(3))
            }
        }
        let datePart = trimmed.split(whereSeparator: { $0 == " " || $0 == "T" }).first ?? trimmed
        if let date = PIIValidators.parseDate(datePart) {
            return String(format: "%04d-%02d", date.year, date.month)
        }
        if let age = Double(trimmed), age >= 0, age <= 150 {
            let band = Int(age) / 10 * 10
            return "\(band)-\(band + 9)"
        }
        return nil
    }
}
