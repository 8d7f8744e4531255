import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-cell validators: each takes one cell's text (already trimmed) and says whether it is that entity.
/// They are strict on purpose (checksums, issuer prefixes, invalid-range rules) so that order numbers, product
/// codes, timestamps and version strings do not pass.
public enum PIIValidators {
    // MARK: e-mail

    /// `local@domain.tld`: local part of letters, digits and `._%+-` (no leading, trailing or doubled dot), domain
    /// labels of letters, digits and inner hyphens, a top-level domain of 2+ letters.
    public static func isEmail(_ text: Substring) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let local = parts.first, let domain = parts.last,
              (1...64).contains(local.count), (3...253).contains(domain.count) else { return false }
        guard local.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._%+-".contains($0)) }),
              local.first != ".", local.last != ".", !local.contains("..") else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        }
        let tld = labels.last!
        return tld.count >= 2 && tld.allSatisfy { $0.isLetter }
    }

    // MARK: phone

    /// A phone number: E.164 (`+` then 8–15 digits, separators allowed), North American (`(415) 555-0123`,
    /// `415-555-0123`, `415.555.0123`, `+1 415 555 0123`, `1-415-555-0123`: area and exchange codes start 2–9),
    /// or a UK national number (`020 7946 0958`, `07700 900123`: leading 0, 10–11 digits). Bare digit runs
    /// pass only when `bareDigits` is set (a column-name hint), since order numbers look the same.
    public static func isPhone(_ text: Substring, bareDigits: Bool = false) -> Bool {
        guard (7...24).contains(text.count) else { return false }
        var groups: [String] = []
        var current = ""
        var plus = false
        var parenthesised = false
        var separators: Set<Character> = []
        for (offset, character) in text.enumerated() {
            if character.isASCII && character.isNumber {
                current.append(character)
            } else if character == "+" && offset == 0 {
                plus = true
            } else if character == " " || character == "-" || character == "." || character == "(" || character == ")" {
                if character == "(" { parenthesised = true }
                if character != "(" && character != ")" { separators.insert(character) }
                if !current.isEmpty { groups.append(current); current = "" }
            } else {
                return false
            }
        }
        if !current.isEmpty { groups.append(current) }
        let digits = groups.joined()
        guard !groups.isEmpty, separators.count <= 1 || (parenthesised && separators.count <= 2) else { return false }
        if plus {
            guard (8...15).contains(digits.count), digits.first != "0" else { return false }
            return groups.allSatisfy { $0.count <= 5 } || groups.count == 1
        }
        let lengths = groups.map(\.count)
        if groups.count == 1 {
            guard bareDigits else { return false }
            if digits.count == 10 { return isNANP(digits) || digits.first == "0" }
            return digits.count == 11 && (digits.first == "0" || digits.first == "1" && isNANP(String(digits.dropFirst())))
        }
        if lengths == [3, 3, 4] { return isNANP(digits) }
        if lengths == [1, 3, 3, 4] && digits.first == "1" { return isNANP(String(digits.dropFirst())) }
        if digits.first == "0" && (10...11).contains(digits.count) && (2...3).contains(groups.count) && (3...5).contains(lengths[0]) {
            return separators.isSubset(of: [" ", "-"]) && lengths.dropFirst().allSatisfy { $0 >= 3 }
        }
        return false
    }

    /// Ten digits whose area code and exchange code both start 2–9 (the North American Numbering Plan).
    static func isNANP(_ digits: String) -> Bool {
        let d = Array(digits)
        guard d.count == 10 else { return false }
        return d[0] >= "2" && d[0] <= "9" && d[3] >= "2" && d[3] <= "9"
    }

    // MARK: payment cards

    /// A card number: 13–19 digits (spaces or hyphens between groups of 4, or Amex 4-6-5), a valid Luhn
    /// checksum and a known issuer prefix of that length (Visa, Mastercard, Amex, Discover, JCB, Diners).
    public static func isCreditCard(_ text: Substring) -> Bool {
        guard (13...23).contains(text.count) else { return false }
        var digits: [UInt8] = []
        var groups: [Int] = []
        var run = 0
        var separator: Character?
        for character in text {
            if let value = character.asciiDigit {
                digits.append(value); run += 1
            } else if character == " " || character == "-" {
                if separator == nil { separator = character } else if separator != character { return false }
                guard run > 0 else { return false }
                groups.append(run); run = 0
            } else {
                return false
            }
        }
        guard run > 0 else { return false }
        groups.append(run)
        if groups.count > 1 {
            let amex = groups == [4, 6, 5]
            guard amex || groups.dropLast().allSatisfy({ $0 == 4 }) && (1...4).contains(groups.last!) else { return false }
        }
        return (13...19).contains(digits.count) && luhnValid(digits) && cardIssuer(digits) != nil
    }

    /// The Luhn checksum over `digits` (values 0–9, check digit last).
    public static func luhnValid(_ digits: [UInt8]) -> Bool {
        luhnSum(digits, checkDigitIncluded: true) % 10 == 0
    }

    /// The Luhn sum; with `checkDigitIncluded` false the digits are the payload without its check digit.
    static func luhnSum(_ digits: [UInt8], checkDigitIncluded: Bool) -> Int {
        var sum = 0
        for (position, digit) in digits.reversed().enumerated() {
            let doubled = checkDigitIncluded ? position % 2 == 1 : position % 2 == 0
            var value = Int(digit)
            if doubled { value *= 2; if value > 9 { value -= 9 } }
            sum += value
        }
        return sum
    }

    /// The issuer of a card number by its prefix and length, or nil if none matches.
    public static func cardIssuer(_ digits: [UInt8]) -> String? {
        func prefix(_ n: Int) -> Int { digits.prefix(n).reduce(0) { $0 * 10 + Int($1) } }
        let length = digits.count
        if digits.first == 4 && [13, 16, 19].contains(length) { return "visa" }
        if length == 16 && ((51...55).contains(prefix(2)) || (2221...2720).contains(prefix(4))) { return "mastercard" }
        if length == 15 && [34, 37].contains(prefix(2)) { return "amex" }
        if (16...19).contains(length) && (prefix(4) == 6011 || prefix(2) == 65 || (644...649).contains(prefix(3))) { return "discover" }
        if (16...19).contains(length) && (3528...3589).contains(prefix(4)) { return "jcb" }
        if length == 14 && ((300...305).contains(prefix(3)) || prefix(2) == 36 || prefix(2) == 38) { return "diners" }
        return nil
    }

    // MARK: IBAN

    /// IBAN lengths by country for the countries Mimeo knows; other countries must be 15–34 characters.
    static let ibanLengths: [String: Int] = [
        "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27, "GB": 22,
        "GR": 27, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "SE": 24,
    ]

    /// An IBAN (spaces allowed in groups of 4): country letters, 2 check digits, an alphanumeric BBAN of the
    /// country's length, and the ISO 13616 mod-97 check equal to 1.
    public static func isIBAN(_ text: Substring) -> Bool {
        let compact = text.filter { $0 != " " }.uppercased()
        guard (15...34).contains(compact.count), compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return false }
        let characters = Array(compact)
        guard characters[0].isLetter, characters[1].isLetter, characters[2].isNumber, characters[3].isNumber else { return false }
        if let expected = ibanLengths[String(characters[0...1])], expected != compact.count { return false }
        if text.contains(" ") {
            let groups = text.split(separator: " ")
            guard groups.dropLast().allSatisfy({ $0.count == 4 }) else { return false }
        }
        return ibanMod97(Array(characters[4...]) + Array(characters[0...3])) == 1
    }

    /// The remainder mod 97 of the IBAN's rearranged characters, letters as 10–35.
    static func ibanMod97(_ characters: [Character]) -> Int {
        var remainder = 0
        for character in characters {
            if let digit = character.asciiDigit {
                remainder = (remainder * 10 + Int(digit)) % 97
            } else if let ascii = character.asciiValue {
                let value = Int(ascii) - 55
                remainder = (remainder * 100 + value) % 97
            }
        }
        return remainder
    }

    // MARK: national identifiers

    /// A US Social Security number `AAA-GG-SSSS` (hyphens or spaces; 9 bare digits only with `bareDigits`):
    /// area not 000, 666 or 900–999, group not 00, serial not 0000.
    public static func isSSN(_ text: Substring, bareDigits: Bool = false) -> Bool {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == " " }).map(String.init)
        let digits: String
        if parts.count == 3 && parts.map(\.count) == [3, 2, 4] {
            let separators = Set(text.filter { $0 == "-" || $0 == " " })
            guard separators.count == 1 else { return false }
            digits = parts.joined()
        } else if parts.count == 1 && text.count == 9 && bareDigits {
            digits = String(text)
        } else {
            return false
        }
        guard digits.allSatisfy({ $0.asciiDigit != nil }) else { return false }
        let area = Int(digits.prefix(3))!, group = Int(digits.dropFirst(3).prefix(2))!, serial = Int(digits.suffix(4))!
        return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
    }

    /// A UK National Insurance number `AB123456C` (spaces allowed): first letter not D, F, I, Q, U or V;
    /// second not D, F, I, O, Q, U or V; prefix not BG, GB, KN, NK, NT, TN or ZZ; suffix A–D.
    public static func isNINO(_ text: Substring) -> Bool {
        let compact = Array(text.filter { $0 != " " }.uppercased())
        guard compact.count == 9 else { return false }
        let first = compact[0], second = compact[1]
        guard first.isASCII, first.isLetter, second.isASCII, second.isLetter,
              !"DFIQUV".contains(first), !"DFIOQUV".contains(second),
              !["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"].contains(String([first, second])),
              compact[2...7].allSatisfy({ $0.asciiDigit != nil }), "ABCD".contains(compact[8]) else { return false }
        return text.first!.isUppercase
    }

    // MARK: network

    /// A dotted-quad IPv4 address (octets 0–255 without leading zeros) or an IPv6 address (`inet_pton`).
    public static func isIPAddress(_ text: Substring) -> Bool {
        isIPv4(text) || isIPv6(text)
    }

    /// A dotted-quad IPv4 address.
    public static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        return octets.allSatisfy { octet in
            guard (1...3).contains(octet.count), octet.allSatisfy({ $0.asciiDigit != nil }),
                  octet.count == 1 || octet.first != "0", let value = Int(octet) else { return false }
            return value <= 255
        }
    }

    /// An IPv6 address in any of its textual forms, with at least two colons.
    public static func isIPv6(_ text: Substring) -> Bool {
        guard text.count >= 3, text.count <= 45, text.filter({ $0 == ":" }).count >= 2,
              text.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        var buffer = in6_addr()
        return String(text).withCString { inet_pton(AF_INET6, $0, &buffer) } == 1
    }

    /// A web address: `http://`, `https://` or `ftp://` then a host with a dot (or `localhost`), or `www.` then
    /// a host with a dot; no spaces.
    public static func isURL(_ text: Substring) -> Bool {
        guard !text.contains(where: { $0.isWhitespace }) else { return false }
        let lower = text.lowercased()
        var rest: Substring
        if let range = lower.range(of: "://"), ["http", "https", "ftp"].contains(String(lower[..<range.lowerBound])) {
            rest = lower[range.upperBound...]
        } else if lower.hasPrefix("www.") {
            rest = lower[...]
        } else {
            return false
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != ":" }
        rest = rest.dropFirst(host.count)
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard host == "localhost" || labels.count >= 2 && labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } })
        else { return false }
        return host == "localhost" || labels.last!.allSatisfy(\.isLetter)
    }

    // MARK: hint-required shapes

    /// A US ZIP code (`94105`, `94105-1234`) or a UK postcode (`SW1A 1AA`, `M1 1AE`, `EC1A 1BB`).
    public static func isPostalCode(_ text: Substring) -> Bool {
        isZIP(text) || isUKPostcode(text)
    }

    static func isZIP(_ text: Substring) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts[0].count == 5, parts[0].allSatisfy({ $0.asciiDigit != nil }) else { return false }
        return parts.count == 1 || parts.count == 2 && parts[1].count == 4 && parts[1].allSatisfy({ $0.asciiDigit != nil })
    }

    static func isUKPostcode(_ text: Substring) -> Bool {
        let compact = Array(text.uppercased().filter { $0 != " " })
        guard (5...7).contains(compact.count) else { return false }
        let inward = compact.suffix(3), outward = Array(compact.dropLast(3))
        guard inward.first!.asciiDigit != nil, inward.dropFirst().allSatisfy({ $0.isLetter && $0.isASCII }) else { return false }
        let shape = String(outward.map { $0.asciiDigit != nil ? "9" : ($0.isASCII && $0.isLetter ? "A" : "?") })
        return ["A9", "A99", "AA9", "AA99", "A9A", "AA9A"].contains(shape)
    }

    /// A person's name by shape: 1–4 words of letters (with `'`, `-`, `.`), each starting upper-case, at
    /// least one of 2+ letters. Needs a column-name hint: product and city names have the same shape.
    public static func isPersonNameShape(_ text: Substring) -> Bool {
        let words = text.split(separator: " ")
        guard (1...4).contains(words.count), text.count <= 60 else { return false }
        return words.allSatisfy { word in
            word.first!.isUppercase && word.allSatisfy { $0.isLetter || $0 == "'" || $0 == "-" || $0 == "." }
        } && words.contains { $0.count >= 2 }
    }

    static let streetSuffixes: Set<String> = [
        "st", "street", "ave", "avenue", "rd", "road", "ln", "lane", "dr", "drive", "blvd", "boulevard", "ct", "court",
        "way", "pl", "place", "terrace", "close", "crescent", "sq", "square", "pkwy", "parkway", "hwy", "highway", "gardens",
        "grove", "hill", "row", "walk", "mews", "cir", "circle", "trl", "trail",
    ]

    /// A street address by shape: a house number (digits, maybe a letter or a flat like `12B`, `Flat 3`) then
    /// 1–6 words, one of them a street suffix (`Street`, `Rd`, `Lane`, …). Needs a column-name hint.
    public static func isStreetAddressShape(_ text: Substring) -> Bool {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map { $0.lowercased() }
        guard (3...12).contains(words.count), let first = words.first,
              first.first?.asciiDigit != nil, first.count <= 6 else { return false }
        return words.dropFirst().contains { streetSuffixes.contains($0.trimmingCharacters(in: CharacterSet(charactersIn: "."))) }
    }

    /// A calendar date as `YYYY-MM-DD`, `YYYY/MM/DD`, `DD/MM/YYYY`, `MM/DD/YYYY` or `DD.MM.YYYY`; returns
    /// (year, month, day) or nil. Dates with a time part are not dates of birth.
    public static func parseDate(_ text: Substring) -> (year: Int, month: Int, day: Int)? {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "-" || $0 == "/" || $0 == "." })
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.asciiDigit != nil } }) else { return nil }
        let numbers = parts.map { Int($0)! }
        var (year, month, day): (Int, Int, Int)
        if parts[0].count == 4 {
            (year, month, day) = (numbers[0], numbers[1], numbers[2])
        } else if parts[2].count == 4 {
            year = numbers[2]
            if numbers[0] > 12 { (day, month) = (numbers[0], numbers[1]) } else { (month, day) = (numbers[0], numbers[1]) }
        } else {
            return nil
        }
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        return (year, month, day)
    }

    /// A date of birth: a date (`parseDate`) between 1900 and `currentYear`. Needs a column-name hint.
    public static func isDateOfBirth(_ text: Substring, currentYear: Int) -> Bool {
        guard let date = parseDate(text) else { return false }
        return (1900...currentYear).contains(date.year)
    }
}

extension Character {
    /// The value 0–9 of an ASCII digit.
    var asciiDigit: UInt8? {
        guard let ascii = asciiValue, ascii >= 48, ascii <= 57 else { return nil }
        return ascii - 48
    }
}
