extension Condition {
    /// Parses the `--where` arguments (`column=value`, one per column; an empty value means missing).
    ///
    /// ```swift
    /// try Condition.parse(arguments: ["sex=Female", "age=40"])   // two conditions
    /// try Condition.parse(arguments: ["age=40", "age=41"])       // throws: age is fixed twice
    /// ```
    ///
    /// A pure function of its input (no model needed): the value itself is checked against the column
    /// when the sampler resolves it (`TableEncoder.encode(value:column:)`, numbers by `NumberSyntax`).
    ///
    /// - Throws: `ConditionError` for an argument without `=`, an empty column name, or a column given
    ///   more than once.
    public static func parse(arguments: [String]) throws(ConditionError) -> [Condition] {
        var conditions: [Condition] = []
        var seen: [String: String] = [:]
        for argument in arguments {
            guard let equals = argument.firstIndex(of: "=") else {
                throw ConditionError(message: "--where expects column=value, got '\(argument)'")
            }
            let column = String(argument[..<equals])
            let value = String(argument[argument.index(after: equals)...])
            guard !column.isEmpty else {
                throw ConditionError(message: "--where expects column=value with a column name, got '\(argument)'")
            }
            if let first = seen[column] {
                throw ConditionError(message: "column '\(column)' is fixed twice by --where ('\(first)' and "
                                     + "'\(argument)'); give one value per column")
            }
            seen[column] = argument
            conditions.append(Condition(column: column, value: value.isEmpty ? nil : value))
        }
        return conditions
    }
}
