import Foundation
import MimeoData

/// One piece of personal data inside a free-text cell.
public struct PIISpan: Sendable, Equatable {
    /// What it is.
    public var entity: PIIEntity
    /// Where it is in the cell's text.
    public var range: Range<String.Index>
}

/// What detection found in one column: no values, only the entity, confidence and share.
public struct ColumnFinding: Codable, Sendable, Equatable {
    /// The column's name.
    public var column: String
    /// The entity found, or nil when the column looks free of personal data.
    public var entity: PIIEntity?
    /// 0–1: the share of cells matched times the validator's strength, raised when the column name agrees.
    public var confidence: Double
    /// Share of the non-missing sampled cells that matched (for free text: that contain at least one span).
    public var share: Double
    /// The entity the column's name suggests, if any (reported even when the values disagree).
    public var nameHint: PIIEntity?
    /// Which signals led to the finding: `validator`, `shape`, `column-name`, `spans`.
    public var signals: [String]
    /// Non-missing cells examined.
    public var cellsExamined: Int
    /// For free text: how many spans of each entity were found in the examined cells.
    public var spanCounts: [String: Int]?
}

/// Finds personal data per column and per cell: validators first (checksums, strict syntax), column-name
/// hints second; names, street addresses, postal codes and dates of birth only with a hint.
///
/// ```swift
/// let findings = PIIDetector().detect(table)
/// let spans = PIIDetector().spans(in: "Call me on +44 20 7946 0958")
/// ```
public struct PIIDetector: Sendable {
    /// Cells examined per column (evenly spaced); all when the column is shorter.
    public var sampleSize = 5_000
    /// A validated entity is found without a name hint when at least this share of cells match.
    public var validatedShare = 0.9
    /// A validated entity whose column name agrees needs only this share.
    public var hintedShare = 0.5
    /// A name, address, postal code or date of birth needs the hint and this share of plausible shapes.
    public var shapeShare = 0.7
    /// A column is read as free text when this share of its cells has 3 words or more.
    public var freeTextShare = 0.3
    /// The latest plausible year of birth.
    public var currentYear: Int

    public init() {
        currentYear = Calendar(identifier: .gregorian).component(.year, from: Date())
    }

    /// How much a match of each entity's validator is worth.
    static func strength(_ entity: PIIEntity) -> Double {
        switch entity {
        case .creditCard, .iban: return 0.99
        case .email, .ssn, .nino, .ipAddress: return 0.95
        case .phone, .url: return 0.9
        case .postalCode, .personName, .streetAddress, .dateOfBirth: return 0.8
        case .freeText: return 0.9
        }
    }

    /// Findings for every column of `table`, in its order.
    public func detect(_ table: Table) -> [ColumnFinding] {
        zip(table.columnNames, table.columns).map { detect(columnNamed: $0, values: $1) }
    }

    /// Whether one cell is `entity`, given the column's name hint.
    public func matches(_ entity: PIIEntity, _ cell: Substring, hint: PIIEntity?) -> Bool {
        switch entity {
        case .email: return PIIValidators.isEmail(cell)
        case .phone: return PIIValidators.isPhone(cell, bareDigits: hint == .phone)
        case .creditCard: return PIIValidators.isCreditCard(cell)
        case .iban: return PIIValidators.isIBAN(cell)
        case .ssn: return PIIValidators.isSSN(cell, bareDigits: hint == .ssn)
        case .nino: return PIIValidators.isNINO(cell)
        case .ipAddress: return PIIValidators.isIPAddress(cell)
        case .url: return PIIValidators.isURL(cell)
        case .postalCode: return PIIValidators.isPostalCode(cell)
        case .personName: return PIIValidators.isPersonNameShape(cell)
        case .streetAddress: return PIIValidators.isStreetAddressShape(cell)
        case .dateOfBirth: return PIIValidators.isDateOfBirth(cell, currentYear: currentYear)
        case .freeText: return !spans(in: String(cell)).isEmpty
        }
    }

    /// The finding for one column.
    public func detect(columnNamed name: String, values: [String?]) -> ColumnFinding {
        let hint = ColumnHints.entity(forColumnNamed: name)
        var cells: [Substring] = []
        let nonMissing = values.lazy.compactMap { $0 }.filter { !$0.allSatisfy(\.isWhitespace) }
        let total = nonMissing.count
        let stride = max(1, total / sampleSize)
        for (index, value) in nonMissing.enumerated() where index % stride == 0 && cells.count < sampleSize {
            cells.append(value.trimmingCharacters(in: .whitespaces)[...])
        }
        var finding = ColumnFinding(column: name, entity: nil, confidence: 0, share: 0, nameHint: hint, signals: [],
                                    cellsExamined: cells.count, spanCounts: nil)
        guard !cells.isEmpty else { return finding }
        let count = Double(cells.count)

        var best: (entity: PIIEntity, share: Double, score: Double)?
        for entity in PIIEntity.validated {
            let share = Double(cells.count { matches(entity, $0, hint: hint) }) / count
            let needed = hint == entity ? hintedShare : validatedShare
            guard share >= needed else { continue }
            let score = share * Self.strength(entity)
            if best == nil || score > best!.score { best = (entity, share, score) }
        }
        if let hint, PIIEntity.hintRequired.contains(hint), best == nil {
            let share = Double(cells.count { matches(hint, $0, hint: hint) }) / count
            if share >= shapeShare { best = (hint, share, share * Self.strength(hint)) }
        }
        if let best {
            finding.entity = best.entity
            finding.share = best.share
            finding.confidence = min(1, best.score + (hint == best.entity ? 0.05 : 0))
            finding.signals = PIIEntity.hintRequired.contains(best.entity) ? ["shape", "column-name"]
                : hint == best.entity ? ["validator", "column-name"] : ["validator"]
            return finding
        }
        let wordy = Double(cells.count { $0.split(separator: " ").count >= 3 }) / count
        guard wordy >= freeTextShare else { return finding }
        var withSpans = 0
        var counts: [String: Int] = [:]
        for cell in cells {
            let found = spans(in: String(cell))
            if !found.isEmpty { withSpans += 1 }
            for span in found { counts[span.entity.rawValue, default: 0] += 1 }
        }
        guard withSpans > 0 else { return finding }
        finding.entity = .freeText
        finding.share = Double(withSpans) / count
        finding.confidence = Self.strength(.freeText)
        finding.signals = ["spans"]
        finding.spanCounts = counts
        return finding
    }

    static let leadingPunctuation: Set<Character> = ["(", "[", "{", "\"", "'", "<"]
    static let trailingPunctuation: Set<Character> = [".", ",", ";", ":", "!", "?", ")", "]", "}", "\"", "'", ">"]

    /// The personal data inside a free-text cell, left to right, not overlapping. Structured entities by their
    /// validators over windows of up to 7 words (so `4111 1111 1111 1111` and `+44 20 7946 0958` are found);
    /// a person's name when a title or a first name from the built-in list is followed by a capitalised word;
    /// a street address when a house number is followed by capitalised words ending in a street suffix.
    public func spans(in text: String) -> [PIISpan] {
        var words: [Range<String.Index>] = []
        var index = text.startIndex
        while index < text.endIndex {
            while index < text.endIndex && text[index].isWhitespace { index = text.index(after: index) }
            guard index < text.endIndex else { break }
            let start = index
            while index < text.endIndex && !text[index].isWhitespace { index = text.index(after: index) }
            words.append(start..<index)
        }
        // Every multi-word entity starts with a word holding a digit (`+44`, `(415)`, `4111`, `GB82`) or with the
        // two letters of a spaced NI number; single words need a digit, `@`, `.` or `:`. Other windows are skipped.
        let hasDigit = words.map { text[$0].contains { $0.asciiDigit != nil } }
        let mayStartSpaced = words.indices.map { hasDigit[$0] || text[words[$0]].count == 2 && text[words[$0]].allSatisfy { $0.isASCII && $0.isUppercase } }
        let maySingle = words.indices.map { hasDigit[$0] || text[words[$0]].contains { $0 == "@" || $0 == "." || $0 == ":" } }
        var result: [PIISpan] = []
        var i = 0
        outer: while i < words.count {
            for width in stride(from: min(7, words.count - i), through: 1, by: -1) where width == 1 ? maySingle[i] : mayStartSpaced[i] {
                let raw = text[words[i].lowerBound..<words[i + width - 1].upperBound]
                for candidate in trimmedCandidates(raw) {
                    if let entity = structuredEntity(candidate, width: width) {
                        result.append(PIISpan(entity: entity, range: candidate.startIndex..<candidate.endIndex))
                        i += width
                        continue outer
                    }
                }
            }
            if let (entity, width, range) = contextualEntity(text, words, at: i) {
                result.append(PIISpan(entity: entity, range: range))
                i += width
                continue
            }
            i += 1
        }
        return result
    }

    /// The candidate as written, then without unbalanced surrounding punctuation.
    func trimmedCandidates(_ raw: Substring) -> [Substring] {
        var candidate = raw
        while let last = candidate.last, Self.trailingPunctuation.contains(last) {
            if last == ")" && candidate.filter({ $0 == "(" }).count >= candidate.filter({ $0 == ")" }).count { break }
            candidate = candidate.dropLast()
        }
        while let first = candidate.first, Self.leadingPunctuation.contains(first) {
            if first == "(" && candidate.filter({ $0 == ")" }).count >= candidate.filter({ $0 == "(" }).count { break }
            candidate = candidate.dropFirst()
        }
        return candidate == raw || candidate.isEmpty ? [raw] : [raw, candidate]
    }

    func structuredEntity(_ candidate: Substring, width: Int) -> PIIEntity? {
        if width == 1 {
            if PIIValidators.isEmail(candidate) { return .email }
            if PIIValidators.isURL(candidate) { return .url }
            if PIIValidators.isIPAddress(candidate) { return .ipAddress }
            if PIIValidators.isSSN(candidate) { return .ssn }
        }
        if PIIValidators.isIBAN(candidate) { return .iban }
        if PIIValidators.isCreditCard(candidate) { return .creditCard }
        if width <= 5 && PIIValidators.isNINO(candidate) { return .nino }
        if PIIValidators.isPhone(candidate) { return .phone }
        return nil
    }

    func contextualEntity(_ text: String, _ words: [Range<String.Index>], at i: Int) -> (PIIEntity, Int, Range<String.Index>)? {
        func word(_ k: Int) -> Substring? {
            guard k < words.count else { return nil }
            var w = text[words[k]]
            while let last = w.last, Self.trailingPunctuation.contains(last) { w = w.dropLast() }
            return w
        }
        func capitalised(_ w: Substring?) -> Bool {
            guard let w, w.count >= 2, w.first!.isUppercase else { return false }
            return w.dropFirst().allSatisfy { $0.isLowercase || $0 == "'" || $0 == "-" } || w.dropFirst().contains(where: \.isLowercase) && w.allSatisfy(\.isLetter)
        }
        func end(_ k: Int) -> String.Index { word(k).map(\.endIndex) ?? words[k].upperBound }
        guard let first = word(i) else { return nil }
        // A title, or a first name from the list, then a capitalised surname (and maybe a second one).
        let titled = NameLists.titles.contains(String(first))
        if titled || NameLists.firstNameSet.contains(String(first)) && text[words[i]].last.map({ !Self.trailingPunctuation.contains($0) }) ?? true {
            if capitalised(word(i + 1)) && (titled || NameLists.lastNameSet.contains(String(word(i + 1)!)) || !isCommonWord(word(i + 1)!)) {
                let start = titled ? words[i + 1].lowerBound : words[i].lowerBound
                var last = i + 1
                if titled, text[words[i + 1]].last.map({ !Self.trailingPunctuation.contains($0) }) ?? true, capitalised(word(i + 2)),
                   NameLists.lastNameSet.contains(String(word(i + 2)!)) { last = i + 2 }
                return (.personName, last - i + 1, start..<end(last))
            }
        }
        // A house number, then capitalised words up to a street suffix.
        if first.allSatisfy({ $0.asciiDigit != nil }) && (1...5).contains(first.count) {
            for k in (i + 1)..<min(words.count, i + 5) {
                guard capitalised(word(k)) else { break }
                if PIIValidators.streetSuffixes.contains(word(k)!.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))) && k > i + 1 {
                    return (.streetAddress, k - i + 1, words[i].lowerBound..<end(k))
                }
            }
        }
        return nil
    }

    /// Capitalised words that follow a first name in ordinary prose and are not surnames.
    func isCommonWord(_ word: Substring) -> Bool {
        ["The", "And", "Or", "But", "If", "On", "In", "At", "To", "From", "With", "Street", "Road", "Avenue", "Lane",
         "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "Day", "Period", "Plan", "Account",
         "Team", "Support", "Order", "Card"].contains(String(word))
    }
}
