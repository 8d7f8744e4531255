import Foundation
import MimeoData
import Testing
@testable import MimeoPrivacy

/// Consistent pseudonyms (same key → same fake, other key → other fake), the fakes' validity, the other
/// actions, policies, and joins surviving a transform.
@Suite struct TransformTests {
    static let key = try! PseudonymKey(bytes: Array("0123456789abcdef-test-key".utf8))
    static let otherKey = try! PseudonymKey(bytes: Array("another-key-of-32-bytes-length!!".utf8))

    @Test func fakesAreConsistentAndKeyed() {
        let a = Pseudonymizer(key: Self.key), b = Pseudonymizer(key: Self.key), c = Pseudonymizer(key: Self.otherKey)
        let samples: [(String, PIIEntity)] = [("ann.lee@example.com", .email), ("+44 20 7946 0958", .phone), ("4111 1111 1111 1111", .creditCard),
                                              ("GB82 WEST 1234 5698 7654 32", .iban), ("123-45-6789", .ssn), ("AB123456C", .nino),
                                              ("192.168.0.1", .ipAddress), ("Mary Okafor", .personName)]
        for (value, entity) in samples {
            let fake = a.fake(value[...], as: entity)
            #expect(fake == b.fake(value[...], as: entity), "\(entity)")
            #expect(fake != c.fake(value[...], as: entity), "\(entity)")
            #expect(fake != value, "\(entity)")
        }
        // Spellings of one value share a fake: e-mails by case, numbers by their digits.
        #expect(a.fake("Ann.Lee@Example.com", as: .email) == a.fake("ann.lee@example.com", as: .email))
        #expect(a.hash("x") == b.hash("x") && a.hash("x") != c.hash("x") && a.hash("x").count == 32)
    }

    @Test func fakesAreValidOfTheSameKind() {
        let p = Pseudonymizer(key: Self.key)
        for i in 0..<300 {
            let email = p.fake("user\(i)@example.com", as: .email)
            #expect(PIIValidators.isEmail(email[...]), "\(email)")
            let name = email.split(separator: "@")[0].split(separator: ".")
            #expect(name.count == 2 && NameLists.firstNameSet.contains(name[0].capitalized))

            for card in ["4111 1111 1111 \(String(format: "%04d", i))", "5500-0000-0000-\(String(format: "%04d", i))", "3782 822463 1\(String(format: "%04d", i))"] {
                let fake = p.fake(card[...], as: .creditCard)
                let digits = fake.compactMap(\.asciiDigit), original = card.compactMap(\.asciiDigit)
                #expect(PIIValidators.isCreditCard(fake[...]), "\(fake)")
                #expect(digits.count == original.count && digits.prefix(2) == original.prefix(2) || digits.first == 4 && original.first == 4)
                #expect(PIIValidators.cardIssuer(digits) == PIIValidators.cardIssuer(original) || !PIIValidators.luhnValid(original))
                #expect(fake.filter { !$0.isNumber } == card.filter { !$0.isNumber })
            }
            let iban = p.fake("DE89 3704 0044 0532 0130 \(String(format: "%02d", i % 100))", as: .iban)
            #expect(PIIValidators.isIBAN(iban[...]) && iban.hasPrefix("DE"), "\(iban)")
            let ssn = p.fake("123-45-\(String(format: "%04d", i + 1))", as: .ssn)
            #expect(PIIValidators.isSSN(ssn[...]), "\(ssn)")
            let nino = p.fake("AB\(String(format: "%06d", i))C", as: .nino)
            #expect(PIIValidators.isNINO(nino[...]), "\(nino)")
            for phone in ["(415) 555-\(String(format: "%04d", i))", "+44 20 7946 \(String(format: "%04d", i))", "07700 900\(String(format: "%03d", i))"] {
                let fake = p.fake(phone[...], as: .phone)
                #expect(PIIValidators.isPhone(fake[...]), "\(phone) -> \(fake)")
                #expect(fake.map { $0.isNumber ? "9" : $0 } == phone.map { $0.isNumber ? "9" : $0 })
            }
            let v4 = p.fake("192.168.1.\(i % 256)", as: .ipAddress), v6 = p.fake("2001:db8::\(i)", as: .ipAddress)
            #expect(PIIValidators.isIPv4(v4[...]) && PIIValidators.isIPv6(v6[...]), "\(v4) \(v6)")
            let url = p.fake("https://www.site\(i).com/about", as: .url)
            #expect(PIIValidators.isURL(url[...]), "\(url)")
        }
    }

    @Test func oneWordNamesFollowTheColumn() throws {
        let table = Table(columnNames: ["first_name", "surname", "name"], columns: [["Zebulon"], ["Mary"], ["Mary"]])
        let (safe, _) = try TableTransformer(pseudonymizer: Pseudonymizer(key: Self.key)).transform(table, policy: TransformPolicy())
        #expect(NameLists.firstNameSet.contains(safe.columns[0][0]!))
        #expect(NameLists.lastNameSet.contains(safe.columns[1][0]!))
        #expect(NameLists.firstNameSet.contains(safe.columns[2][0]!))
    }

    @Test func otherActions() {
        #expect(Pseudonymizer.generalised("1984-03-12", entity: .dateOfBirth) == "1984-03")
        #expect(Pseudonymizer.generalised("12/03/1984", entity: .dateOfBirth) == "1984-12")
        #expect(Pseudonymizer.generalised("37", entity: nil) == "30-39")
        #expect(Pseudonymizer.generalised("94105-1234", entity: .postalCode) == "941")
        #expect(Pseudonymizer.generalised("SW1A 1AA", entity: .postalCode) == "SW1A")
        #expect(Pseudonymizer.generalised("hello", entity: nil) == nil)
        #expect(Pseudonymizer.redaction(for: .email) == "[EMAIL]")
        let transformer = TableTransformer(pseudonymizer: nil)
        #expect(transformer.replaceSpans(in: "mail ann@example.com or call (415) 555-0123.", action: .redact)
                == "mail [EMAIL] or call [PHONE].")
    }

    @Test func policyFromYAML() throws {
        let policy = try TransformPolicy.parse(yaml: """
            pii: off
            columns:
              email: fake
              notes: redact
              age: generalize
              internal_id: drop
              zip: {action: generalise, entity: postalCode}
            """)
        #expect(!policy.detectUnlisted)
        #expect(policy.columns["email"] == .init(action: .fake))
        #expect(policy.columns["age"] == .init(action: .generalise))
        #expect(policy.columns["zip"] == .init(action: .generalise, entity: .postalCode))
        #expect(policy.columns["internal_id"]?.action == .drop)
        #expect(try TransformPolicy.parse(yaml: "columns:\n  2024: drop\n").columns["2024"]?.action == .drop)
        #expect(throws: PrivacyError.self) { try TransformPolicy.parse(yaml: "columns:\n  a: shred\n") }
        #expect(throws: PrivacyError.self) { try TransformPolicy.parse(yaml: "colums:\n  a: keep\n") }
        #expect(throws: PrivacyError.self) { try TransformPolicy.parse(yaml: "columns: [a, b]\n") }
        #expect(throws: PrivacyError.self) { try TransformPolicy.parse(yaml: "columns:\n  a: {action: fake, entity: dna}\n") }
    }

    @Test func policyOverridesAndKeyChecks() throws {
        let table = Table(columnNames: ["email", "age", "id"], columns: [
            ["ann@example.com", "bob@example.org", nil], ["34", "71", "5"], ["a", "b", "c"],
        ])
        let policy = TransformPolicy(columns: ["age": .init(action: .generalise), "id": .init(action: .drop)])
        #expect(throws: PrivacyError.self) { try TableTransformer(pseudonymizer: nil).transform(table, policy: policy) }
        #expect(throws: PrivacyError.self) {
            try TableTransformer(pseudonymizer: nil).transform(table, policy: TransformPolicy(columns: ["nope": .init(action: .keep)]))
        }
        let (safe, report) = try TableTransformer(pseudonymizer: Pseudonymizer(key: Self.key)).transform(table, policy: policy)
        #expect(safe.columnNames == ["email", "age"])
        #expect(safe.columns[1] == ["30-39", "70-79", "0-9"])
        #expect(safe.columns[0][2] == nil)
        #expect(safe.columns[0].compactMap { $0 }.allSatisfy { PIIValidators.isEmail($0[...]) && !["ann@example.com", "bob@example.org"].contains($0) })
        #expect(report.plan.map(\.action) == [.fake, .generalise, .drop])
        #expect(report.findings[0].entity == .email && report.findings[0].share == 1)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(!json.contains("ann@example.com"))
    }

    @Test func keys() throws {
        #expect(throws: PrivacyError.self) { try PseudonymKey(bytes: Array("short".utf8)) }
        #expect(try PseudonymKey.fromEnvironment([:]) == nil)
        #expect(try PseudonymKey.fromEnvironment([PseudonymKey.environmentVariable: "0123456789abcdef"]) != nil)
        #expect(throws: PrivacyError.self) { try PseudonymKey.load(file: "/nonexistent/secret.key") }
    }

    /// Two tables sharing customer e-mails (spelled with different case in one) join one-to-one after a transform of
    /// each with the same key, and the joined rows are the same as before.
    @Test func joinsSurvive() throws {
        let emails = (0..<500).map { "customer\($0).name\($0 * 7)@mail\($0 % 13).com" }
        let customers = Table(columnNames: ["email", "segment"], columns: [emails, emails.indices.map { "s\($0 % 5)" }])
        var orderEmails: [String?] = [], amounts: [String?] = []
        for i in 0..<2_000 {
            let e = emails[(i * 37) % emails.count]
            orderEmails.append(i % 3 == 0 ? e.uppercased() : e)
            amounts.append("\(i)")
        }
        let orders = Table(columnNames: ["customer_email", "amount"], columns: [orderEmails, amounts])
        let transformer = TableTransformer(pseudonymizer: Pseudonymizer(key: Self.key))
        let (safeCustomers, _) = try transformer.transform(customers, policy: TransformPolicy())
        let (safeOrders, report) = try transformer.transform(orders, policy: TransformPolicy())
        #expect(report.plan[0].entity == .email && report.plan[0].action == .fake)
        // One-to-one: distinct e-mails stay distinct.
        let fakeCustomers = safeCustomers.columns[0].map { $0! }
        #expect(Set(fakeCustomers).count == emails.count)
        #expect(Set(fakeCustomers).isDisjoint(with: emails))
        var segmentByFake: [String: String] = [:]
        for (e, s) in zip(fakeCustomers, safeCustomers.columns[1]) { segmentByFake[e] = s! }
        var segmentByReal: [String: String] = [:]
        for (e, s) in zip(emails, customers.columns[1]) { segmentByReal[e] = s! }
        for row in 0..<orders.rowCount {
            let joined = segmentByFake[safeOrders.columns[0][row]!]
            #expect(joined != nil && joined == segmentByReal[orders.columns[0][row]!.lowercased()])
        }
    }
}
