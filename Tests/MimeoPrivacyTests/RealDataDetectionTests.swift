import MimeoData
import MimeoTestSupport
import Testing
@testable import MimeoPrivacy

/// Detection on the shared real tables, which hold no direct identifiers except babynames' first names:
/// nothing is flagged in adult and bank_marketing (ages, codes, dates, amounts and categories are all
/// look-alikes of something), and a transform with `--pii auto` leaves them byte for byte.
@Suite struct RealDataDetectionTests {
    @Test(Datasets.required("adult/adult-holdout.csv")) func adultHasNoPersonalData() throws {
        let table = try TableLoader(missingValues: [""]).load(path: Datasets.path("adult/adult-holdout.csv"))
        let findings = PIIDetector().detect(table)
        #expect(findings.filter { $0.entity != nil }.map(\.column) == [])
        let (safe, _) = try TableTransformer(pseudonymizer: nil).transform(table, policy: TransformPolicy())
        #expect(safe.columns == table.columns && safe.columnNames == table.columnNames)
    }

    @Test(Datasets.required("bank_marketing/bank_marketing.csv")) func bankMarketingHasNoPersonalData() throws {
        let table = try TableLoader(missingValues: [""]).load(path: Datasets.path("bank_marketing/bank_marketing.csv"))
        #expect(PIIDetector().detect(table).filter { $0.entity != nil }.map(\.column) == [])
        // Its ages generalise to 10-year bands under a policy.
        let policy = TransformPolicy(detectUnlisted: false, columns: ["age": .init(action: .generalise)])
        let (safe, _) = try TableTransformer(pseudonymizer: nil).transform(table, policy: policy)
        let ages = safe.columns[safe.columnIndex(named: "age")!]
        #expect(ages.allSatisfy { $0.map { ["10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90-99"].contains($0) } ?? true })
    }
}
