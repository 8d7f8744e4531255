/// Column-name hints: the second signal beside the validators, and the only way postal codes, names, street
/// addresses and dates of birth are found (their shapes alone are too common).
public enum ColumnHints {
    /// The words of a column name: split at `_`, `-`, `.`, spaces and lower-to-upper case changes, lower-cased.
    public static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for character in name {
            if character == "_" || character == "-" || character == "." || character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""; previousLower = false
                continue
            }
            if character.isUppercase && previousLower && !current.isEmpty {
                words.append(current); current = ""
            }
            current.append(Character(character.lowercased()))
            previousLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The entity a column's name suggests, if any.
    public static func entity(forColumnNamed name: String) -> PIIEntity? {
        let w = words(name)
        let joined = w.joined()
        let set = Set(w)
        func has(_ any: String...) -> Bool { any.contains { set.contains($0) } }
        if has("email", "mail", "e") && (has("email", "mail") || joined.contains("email")) || joined.contains("email") { return .email }
        if has("phone", "telephone", "tel", "mobile", "cell", "fax") || joined.contains("phone") { return .phone }
        if has("iban") { return .iban }
        if has("card", "cc", "pan") || joined.contains("creditcard") || joined.contains("cardnumber") { return .creditCard }
        if has("ssn") || joined.contains("socialsecurity") { return .ssn }
        if has("nino") || joined.contains("nationalinsurance") || has("ni") && has("number", "no") { return .nino }
        if has("ip", "ipv4", "ipv6") || joined.contains("ipaddress") { return .ipAddress }
        if has("url", "website", "homepage", "uri", "link") { return .url }
        if has("zip", "zipcode", "postcode", "postal") || joined.contains("postcode") || joined.contains("postalcode") { return .postalCode }
        if has("dob", "birthday", "birthdate") || joined.contains("dateofbirth") || has("birth", "born") { return .dateOfBirth }
        if has("address", "street", "addr") && !has("ip", "email", "mail", "mac") { return .streetAddress }
        let notPerson = ["product", "file", "company", "user", "host", "city", "country", "item", "brand", "model", "table",
                         "column", "field", "domain", "username", "org", "organisation", "organization", "store", "shop", "team", "category"]
        if has("name", "firstname", "lastname", "surname", "fullname", "forename", "givenname") && !notPerson.contains(where: set.contains)
            || has("customer", "patient", "employee", "person", "contact", "holder") && has("name")
            || joined.hasSuffix("firstname") || joined.hasSuffix("lastname") || joined == "surname" { return .personName }
        return nil
    }
}
