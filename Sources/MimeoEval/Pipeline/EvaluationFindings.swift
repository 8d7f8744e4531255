import Foundation

/// Plain-language findings from the scores: what is good, and which leaks, weaknesses or bad
/// values to act on (docs/metrics.md, "Findings").
///
/// Thresholds: DCR share above 0.55 or membership AUC above 0.55 is a leak signal (0.5 = none);
/// exact copies above twice the holdout's natural share plus 0.5 percentage points is a leak; an
/// attribute-inference risk above 0.1 is reported.
public enum EvaluationFindings {
    /// The findings, in the order they are printed.
    public static func make(fidelity: FidelityReport, structure: DeepStructureReport, privacy: PrivacyReport?,
                            utility: UtilityReport?, unparseable: UnparseableValues) -> [String] {
        var findings: [String] = []
        if let overall = fidelity.overall {
            findings.append("Fidelity is \(Grade(overall).rawValue.lowercased()) (\(String(format: "%.3f", overall))).")
        } else {
            findings.append("Fidelity not measured: no column has values on both the real and the synthetic side.")
        }
        if !unparseable.synthetic.isEmpty {
            let columns = unparseable.synthetic.map { column in
                "\(column.column) \(column.count)" + (column.example.map { ", such as '\($0)'" } ?? "")
            }
            let total = unparseable.syntheticTotal
            findings.append("\(total) synthetic value\(total == 1 ? " does" : "s do") not parse as their column's kind (\(columns.joined(separator: "; "))): they count as "
                + "mismatches and lower the scores.")
        }
        if !unparseable.real.isEmpty {
            let columns = unparseable.real.map { "\($0.column) \($0.count)" }
            let total = unparseable.realTotal
            findings.append("\(total) real value\(total == 1 ? " does" : "s do") not parse as their column's kind (\(columns.joined(separator: "; "))): they are left out like missing values; "
                + "check the schema.")
        }
        if unparseable.trainRows > 0 || unparseable.holdoutRows > 0 {
            findings.append("Privacy samples leave out \(unparseable.trainRows) train and \(unparseable.holdoutRows) "
                + "holdout rows with values that do not parse, so that they cannot look far away.")
        }
        if structure.score == nil, let note = structure.note {
            findings.append("Deep structure \(note).")
        }
        if let utility, let gap = utility.gap.auc ?? utility.gap.r2 {
            let metric = utility.gap.auc != nil ? "AUC" : "R²"
            findings.append(String(format: "A model trained on the synthetic rows scores %.3f %@ %@ one trained on the real rows.",
                                   abs(gap), metric, gap >= 0 ? "below" : "above"))
        }
        guard let privacy else {
            findings.append("Privacy not assessed: give --holdout to compare against real rows the generator never saw.")
            return findings
        }
        var leaks: [String] = []
        if let share = privacy.dcrShare.share, share > 0.55 {
            leaks.append(String(format: "%.0f%% of synthetic rows lie closer to training rows than to unseen real rows (0.5 expected)", share * 100))
        }
        if let auc = privacy.membershipInference.auc, auc > 0.55 {
            leaks.append(String(format: "a distance attack tells training rows from unseen rows with AUC %.2f", auc))
        }
        if let copies = privacy.exactMatch.syntheticShare, copies > 2 * (privacy.exactMatch.holdoutShare ?? 0) + 0.005 {
            leaks.append(String(format: "%.1f%% of synthetic rows are exact copies of training rows (unseen real rows: %.1f%%)",
                                copies * 100, (privacy.exactMatch.holdoutShare ?? 0) * 100))
        }
        if leaks.isEmpty {
            findings.append("No leak detected: synthetic rows are no closer to the training rows than unseen real rows are.")
        } else {
            findings.append("PRIVACY RISK: " + leaks.joined(separator: "; ") + ". The synthetic table reproduces its training data; do not share it.")
        }
        if let attribute = privacy.attributeInference, let risk = attribute.risk, risk > 0.1 {
            findings.append(String(format: "Attribute inference: knowing %@ lets an attacker infer %@ of training rows better than of unseen rows (risk %.2f).",
                                   attribute.quasiIdentifiers.joined(separator: ", "), attribute.sensitive, risk))
        }
        return findings
    }
}
