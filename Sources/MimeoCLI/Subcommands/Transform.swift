import ArgumentParser
import Foundation
import MimeoData
import MimeoPrivacy

extension MimeoCommand {
    /// `mimeo transform`: find personal data and replace it consistently before training.
    struct Transform: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Detect personal data in a CSV file and replace it with consistent pseudonyms.",
            discussion: """
                Detection (docs/transform.md): e-mails, phone numbers, card numbers (Luhn), IBANs (mod 97), US SSNs, \
                UK NI numbers, IP addresses and URLs by validators; postal codes, person names, street addresses \
                and dates of birth only when the column name suggests them; free text containing any of these. \
                Automatic actions: fake (the same value always gives the same fake under the same key, so joins \
                survive), except postal codes and dates of birth, which are generalised. A policy file (YAML) \
                sets per-column actions: keep, drop, fake, hash, redact, generalise. The key (at least 16 bytes) \
                comes from --key-file or the MIMEO_TRANSFORM_KEY environment variable, never from an argument. \
                --report writes what was found per column (entity, confidence, share of cells), never a value.
                Examples:
                  mimeo transform customers.csv -o safe.csv --key-file secret.key \\
                    --report pii.json
                  mimeo transform customers.csv --policy policy.yaml -o safe.csv
                """)

        @Argument(help: "The CSV file (.csv or .csv.gz).")
        var input: String

        @Option(name: .shortAndLong, help: ArgumentHelp("The transformed CSV file (written to a temporary name, then renamed).", valueName: "safe.csv"))
        var output: String

        @Option(name: .long, help: ArgumentHelp("auto: detect personal data and treat the columns the policy does not list; off: only the policy's columns.", valueName: "auto|off"))
        var pii: String = "auto"

        @Option(name: .long, help: ArgumentHelp("A YAML policy: `columns: {name: action}` with actions keep, drop, fake, hash, redact, generalise.", valueName: "policy.yaml"))
        var policy: String?

        @Option(name: .long, help: ArgumentHelp("A file holding the pseudonym key (at least 16 bytes); otherwise MIMEO_TRANSFORM_KEY.", valueName: "secret.key"))
        var keyFile: String?

        @Option(name: .long, help: ArgumentHelp("Write the per-column findings and actions as JSON (no values).", valueName: "pii.json"))
        var report: String?

        @Option(name: .long, help: "Field delimiter of the input: one character such as ',', ';', '|' or 'tab' (default: detected).")
        var delimiter: String?

        func validate() throws {
            guard pii == "auto" || pii == "off" else { throw ValidationError("--pii must be auto or off, not '\(pii)'") }
        }

        func run() throws {
            try OutputSafety.check(inputs: [("<input>", input), ("--policy", policy), ("--key-file", keyFile)],
                                   outputs: [("--output", output), ("--report", report)])
            var transformPolicy = TransformPolicy(detectUnlisted: pii == "auto")
            if let policy {
                guard let data = FileManager.default.contents(atPath: policy), let text = String(data: data, encoding: .utf8) else {
                    throw PrivacyError("cannot read the policy file '\(policy)' (missing, unreadable or not UTF-8)")
                }
                transformPolicy = try TransformPolicy.parse(yaml: text, file: policy)
                if pii == "off" { transformPolicy.detectUnlisted = false }
            }
            let key = try keyFile.map { try PseudonymKey.load(file: $0) } ?? PseudonymKey.fromEnvironment()
            let delimiterByte: UInt8? = try delimiter.map(parseDelimiter)
            let reader = try CSVReader(path: input, delimiter: delimiterByte)
            let table = try TableLoader(missingValues: [""]).load(from: reader)
            let transformer = TableTransformer(pseudonymizer: key.map(Pseudonymizer.init))
            let started = Date()
            let (safe, transformReport) = try transformer.transform(table, policy: transformPolicy)
            let out = try TemporaryFiles.output(path: output)
            try out.write(TableTransformer.csv(safe, delimiter: reader.delimiter))
            try out.commit()
            for plan in transformReport.plan where plan.action != .keep || plan.entity != nil {
                let finding = transformReport.findings.first { $0.column == plan.column }
                let found = plan.entity.map { entity in
                    finding.map { "\(entity.rawValue) (confidence \(String(format: "%.2f", $0.confidence)), \(String(format: "%.0f", $0.share * 100))% of cells)" } ?? entity.rawValue
                } ?? "nothing"
                Terminal.message("\(plan.column): \(found) -> \(plan.action.rawValue) [\(plan.source)]")
            }
            Terminal.message("transformed \(Terminal.count(table.rowCount)) rows in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
            print("wrote \(output)")
            if let report { try ReportOutput.writeJSON(transformReport, to: report) }
        }
    }
}
