import MimeoTestSupport
import Foundation
import MimeoData
import Testing

@testable import MimeoCLI

/// Real-world input: other delimiters, dirty columns, strict `--where`.
@Suite struct DirtyInputTests {
    /// `id,date,amount` with 200 valid ISO dates and `2023-02-30` on data row 58 (the case).
    static func datesCSV(delimiter: String = ",") -> String {
        var rows: [String] = []
        let format = "%04d-%02d-%02d"
        var (year, month, day) = (2023, 1, 1)
        let lengths = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for id in 0..<200 {
            rows.append([String(id), String(format: format, year, month, day), String(format: "%.1f", Double(id % 37) * 1.5)]
                .joined(separator: delimiter))
            day += 1
            if day > lengths[month - 1] { (month, day) = (month + 1, 1) }
            if month > 12 { (year, month) = (year + 1, 1) }
        }
        rows.insert(["999", "2023-02-30", "3.0"].joined(separator: delimiter), at: 57)
        return (["id", "date", "amount"].joined(separator: delimiter) + "\n") + rows.joined(separator: "\n") + "\n"
    }

    // MARK: - Delimiter detection

    /// A `;` file used to train "nothing to model" (one column named `id;date;amount`) and exit 0.
    @Test(arguments: [(";", "';'"), ("\t", "tab"), ("|", "'|'")])
    func otherDelimitersAreDetected(delimiter: String, shown: String) throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(Self.datesCSV(delimiter: delimiter), to: "t.csv")
        let schema = try Mimeo.run(["schema", csv])
        #expect(schema.succeeded, "\(schema)")
        #expect(schema.standardError.contains("detected delimiter \(shown) in \(csv)"), "\(schema)")
        let decoded = try JSONDecoder().decode(MimeoData.Schema.self, from: schema.stdout)
        #expect(decoded.columns.map(\.name) == ["id", "date", "amount"])

        let model = directory.file("m.mimeo")
        let train = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "1"])
        #expect(train.succeeded, "\(train)")
        #expect(!train.standardError.contains("nothing to model"), "\(train)")
        #expect(train.standardError.contains("200 rows x 3 columns") || train.standardError.contains("201 rows x 3 columns"), "\(train)")
    }

    @Test func commaFilesSayNothingAndDelimiterOverrides() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(Self.datesCSV(delimiter: ";"), to: "t.csv")
        let forced = try Mimeo.run(["schema", csv, "--delimiter", ","])
        #expect(forced.succeeded, "\(forced)")
        #expect(!forced.standardError.contains("detected delimiter"), "\(forced)")
        #expect(try JSONDecoder().decode(MimeoData.Schema.self, from: forced.stdout).columns.map(\.name) == ["id;date;amount"])
        let comma = try directory.write(Self.datesCSV(), to: "c.csv")
        let plain = try Mimeo.run(["schema", comma])
        #expect(!plain.standardError.contains("detected delimiter"), "\(plain)")
    }

    /// `evaluate` detects the delimiter of each of its three files on its own.
    @Test func evaluateDetectsEachFilesDelimiter() throws {
        let directory = try TemporaryDirectory()
        let real = try directory.write(Self.datesCSV(delimiter: ";"), to: "real.csv")
        let holdout = try directory.write(Self.datesCSV(delimiter: "\t"), to: "holdout.tsv")
        let synthetic = try directory.write(Self.datesCSV(delimiter: "|"), to: "synthetic.csv")
        let run = try Mimeo.run(["evaluate", "--real", real, "--synthetic", synthetic, "--holdout", holdout])
        #expect(run.succeeded, "\(run)")
        for (path, shown) in [(real, "';'"), (holdout, "tab"), (synthetic, "'|'")] {
            #expect(run.standardError.contains("detected delimiter \(shown) in \(path)"), "\(run)")
        }
        #expect(run.standardOutput.contains("(201 rows) against"), "\(run)")
    }

    // MARK: - Dirty columns

    @Test func dirtyColumnIsModelledReportedAndGeneratedValid() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(Self.datesCSV(), to: "dates.csv")

        let schema = try Mimeo.run(["schema", csv])
        #expect(schema.succeeded, "\(schema)")
        let warning = "warning: column 'date': 1 value does not fit datetime (%Y-%m-%d) and is read as missing: row 58 '2023-02-30'"
        #expect(schema.standardError.contains(warning), "\(schema)")
        let decoded = try JSONDecoder().decode(MimeoData.Schema.self, from: schema.stdout)
        let date = try #require(decoded.column(named: "date"))
        #expect(date.kind == .datetime)
        #expect(date.invalidValues?.count == 1)
        #expect(date.invalidValues?.examples.first?.row == 58)

        let model = directory.file("m.mimeo")
        let train = try Mimeo.run(["train", csv, "-o", model, "--max-epochs", "20"])
        #expect(train.succeeded, "\(train)")
        #expect(train.standardError.contains(warning), "\(train)")

        let info = try Mimeo.run(["info", model])
        #expect(info.succeeded, "\(info)")
        #expect(info.standardOutput.contains("dirty: column 'date': 1 value does not fit datetime"), "\(info)")

        let output = directory.file("syn.csv")
        let generate = try Mimeo.run(["generate", model, "-n", "500", "-o", output, "--seed", "3"])
        #expect(generate.succeeded, "\(generate)")
        let table = try TableLoader().load(path: output)
        let dates = table.columns[try #require(table.columnIndex(named: "date"))]
        let format = try #require(DateTimeFormat(pattern: "%Y-%m-%d"))
        #expect(dates.allSatisfy { $0 == nil || format.parse($0!) != nil })
        #expect(dates.compactMap { $0 }.count > 250)  // modelled: most rows have a date (1 in 201 was missing in training)

        // The schema passed back keeps working: the column stays dirty-tolerant and is reported again.
        let schemaFile = try directory.write([UInt8](schema.stdout), to: "schema.json")
        let again = try Mimeo.run(["train", csv, "-o", directory.file("m2.mimeo"), "--schema", schemaFile, "--max-epochs", "1"])
        #expect(again.succeeded, "\(again)")
        #expect(again.standardError.contains(warning), "\(again)")
    }

    @Test func invalidShareIsAnOption() throws {
        let directory = try TemporaryDirectory()
        let csv = try directory.write(Self.datesCSV(), to: "dates.csv")
        let off = try Mimeo.run(["schema", csv, "--invalid-share", "0"])
        #expect(off.succeeded, "\(off)")
        #expect(try JSONDecoder().decode(MimeoData.Schema.self, from: off.stdout).column(named: "date")?.kind == .identifier)
        for bad in ["0.5", "-0.1", "nan"] {
            let run = try Mimeo.run(["schema", csv, "--invalid-share", bad])
            #expect(run.status == 64, "\(run)")
        }
    }

    // MARK: - --where

    @Test(arguments: [
        (["--where", "age=40", "--where", "age=41"],
         "column 'age' is fixed twice by --where ('age=40' and 'age=41'); give one value per column"),
        (["--where", "age=0x28"], "column 'age' holds numbers; '0x28' is not one: expected digits with an optional sign"),
    ])
    func whereIsStrict(arguments: [String], message: String) throws {
        let adult = try AdultModel.shared()
        let directory = try TemporaryDirectory()
        let run = try Mimeo.run(["generate", adult.model, "-n", "5", "-o", directory.file("out.csv")] + arguments)
        #expect(run.status == 64, "\(run)")
        #expect(run.standardError.contains(message), "\(run)")
        #expect(try directory.contents().isEmpty)
    }
}
