import Testing
@testable import MimeoPrivacy

/// Each validator on real-world positives and on look-alikes that are not personal data (order numbers, product
/// codes, timestamps, version strings, numbers failing their checksum).
@Suite struct ValidatorTests {
    @Test func emails() {
        for good in ["ann.lee@example.com", "j_o+tag@mail.co.uk", "x@a-b.io"] { #expect(PIIValidators.isEmail(good[...]), "\(good)") }
        for bad in ["ann.lee@", "@example.com", "a@b", "a..b@example.com", "a@example.c0m", "order@2024", "user at example.com"] {
            #expect(!PIIValidators.isEmail(bad[...]), "\(bad)")
        }
    }

    @Test func phones() {
        for good in ["+44 20 7946 0958", "+14155550123", "(415) 555-0123", "415-555-0123", "415.555.0123", "1-415-555-0123",
                     "07700 900123", "020 7946 0958", "+33 1 23 45 67 89"] {
            #expect(PIIValidators.isPhone(good[...]), "\(good)")
        }
        for bad in ["2024-03-05", "2024-03-05 10:22:01", "ORD-2024-000123", "2.14.3", "4155550123", "123-456-7890",
                    "4521-889-2031", "12:30", "+0 123 456 789", "SKU-48213-B", "10.0.0.1"] {
            #expect(!PIIValidators.isPhone(bad[...]), "\(bad)")
        }
        #expect(PIIValidators.isPhone("4155550123", bareDigits: true))
    }

    @Test func cards() {
        for good in ["4111 1111 1111 1111", "4111111111111111", "5500-0000-0000-0004", "3782 822463 10005", "6011111111111117",
                     "4012888888881881", "2223000048400011"] {
            #expect(PIIValidators.isCreditCard(good[...]), "\(good)")
        }
        // Luhn failures, Luhn-valid numbers without an issuer prefix, odd grouping, a timestamp.
        for bad in ["4111 1111 1111 1112", "1234567812345670", "0000000000000000", "41111 11111 111111", "4111-1111 1111-1111",
                    "20240305102201", "9999999999999995"] {
            #expect(!PIIValidators.isCreditCard(bad[...]), "\(bad)")
        }
    }

    @Test func ibans() {
        for good in ["GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432", "DE89370400440532013000", "FR1420041010050500013M02606",
                     "NL91ABNA0417164300"] {
            #expect(PIIValidators.isIBAN(good[...]), "\(good)")
        }
        for bad in ["GB82 WEST 1234 5698 7654 33", "DE8937040044053201300", "XX00123", "SKU-48213-B", "GB82WEST1234569876543X"] {
            #expect(!PIIValidators.isIBAN(bad[...]), "\(bad)")
        }
    }

    @Test func nationalIdentifiers() {
        for good in ["123-45-6789", "078-05-1121", "899 99 9999"] { #expect(PIIValidators.isSSN(good[...]), "\(good)") }
        for bad in ["000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000", "123456789", "12-345-6789", "123-45-678"] {
            #expect(!PIIValidators.isSSN(bad[...]), "\(bad)")
        }
        #expect(PIIValidators.isSSN("123456789", bareDigits: true))
        for good in ["AB123456C", "AB 12 34 56 C", "ZY987654A"] { #expect(PIIValidators.isNINO(good[...]), "\(good)") }
        for bad in ["DA123456C", "AO123456C", "GB123456A", "AB123456E", "AB12345C", "SKU123456", "ab123456c"] {
            #expect(!PIIValidators.isNINO(bad[...]), "\(bad)")
        }
    }

    @Test func networkAddresses() {
        for good in ["192.168.0.1", "8.8.8.8", "255.255.255.255", "2001:db8::1", "fe80::1ff:fe23:4567:890a", "::1"] {
            #expect(PIIValidators.isIPAddress(good[...]), "\(good)")
        }
        for bad in ["2.14.3", "256.1.1.1", "01.2.3.4", "1.2.3", "10:22:01", "2024-03-05", "abc::xyz", "1.2.3.4.5"] {
            #expect(!PIIValidators.isIPAddress(bad[...]), "\(bad)")
        }
        for good in ["https://www.example.com/a?b=1", "http://localhost:8080/x", "www.example.org"] { #expect(PIIValidators.isURL(good[...]), "\(good)") }
        for bad in ["example.com", "https://", "file:///etc/passwd", "2.14.3", "https://exa mple.com"] {
            #expect(!PIIValidators.isURL(bad[...]), "\(bad)")
        }
    }

    @Test func hintedShapes() {
        for good in ["94105", "94105-1234", "SW1A 1AA", "M1 1AE", "EC1A 1BB", "B33 8TH"] { #expect(PIIValidators.isPostalCode(good[...]), "\(good)") }
        for bad in ["9410", "941051", "SW1A1", "1AA SW1A", "SKU-4"] { #expect(!PIIValidators.isPostalCode(bad[...]), "\(bad)") }
        #expect(PIIValidators.isPersonNameShape("Mary O'Neil"))
        #expect(PIIValidators.isPersonNameShape("J. R. Smith-Jones"))
        #expect(!PIIValidators.isPersonNameShape("mary smith"))
        #expect(!PIIValidators.isPersonNameShape("SKU-48213-B"))
        #expect(PIIValidators.isStreetAddressShape("221B Baker Street"))
        #expect(PIIValidators.isStreetAddressShape("1600 Pennsylvania Ave NW"))
        #expect(!PIIValidators.isStreetAddressShape("Baker Street"))
        #expect(!PIIValidators.isStreetAddressShape("2024 annual report"))
        #expect(PIIValidators.isDateOfBirth("1984-03-12", currentYear: 2026))
        #expect(PIIValidators.isDateOfBirth("12/03/1984", currentYear: 2026))
        #expect(!PIIValidators.isDateOfBirth("1850-01-01", currentYear: 2026))
        #expect(!PIIValidators.isDateOfBirth("2031-01-01", currentYear: 2026))
        #expect(!PIIValidators.isDateOfBirth("1984-13-01", currentYear: 2026))
    }

    @Test func columnHints() {
        let cases: [(String, PIIEntity?)] = [
            ("email", .email), ("customerEmail", .email), ("e_mail", .email), ("phone_number", .phone), ("mobile", .phone),
            ("card_number", .creditCard), ("iban", .iban), ("ssn", .ssn), ("ni_number", .nino), ("ip_address", .ipAddress),
            ("website", .url), ("zip", .postalCode), ("postcode", .postalCode), ("date_of_birth", .dateOfBirth), ("dob", .dateOfBirth),
            ("street_address", .streetAddress), ("customer_name", .personName), ("lastName", .personName), ("surname", .personName),
            ("product_name", nil), ("file_name", nil), ("username", nil), ("order_id", nil), ("created_at", nil), ("amount", nil),
            ("email_address", .email), ("ip_address_v6", .ipAddress),
        ]
        for (name, expected) in cases { #expect(ColumnHints.entity(forColumnNamed: name) == expected, "\(name)") }
    }

    @Test func spansInFreeText() {
        let detector = PIIDetector()
        let text = "Call Mary Okafor on +44 20 7946 0958 or (415) 555-0123, mail mary.o@example.com; card 4111 1111 1111 1111. "
            + "Order ORD-2024-000123 shipped 2024-03-05 10:22:01, version 2.14.3, SKU-48213-B. Ask Dr. Haddad at 12 Larch Lane."
        let found = detector.spans(in: text).map { "\($0.entity.rawValue)=\(text[$0.range])" }
        #expect(found == ["personName=Mary Okafor", "phone=+44 20 7946 0958", "phone=(415) 555-0123", "email=mary.o@example.com",
                          "creditCard=4111 1111 1111 1111", "personName=Haddad", "streetAddress=12 Larch Lane"])
    }
}
