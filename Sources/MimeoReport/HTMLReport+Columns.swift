import Foundation
import MimeoData

extension HTMLReport {
    /// `#columns`: one small chart per column, real vs synthetic, in schema order.
    static func columnsSection(_ data: ReportData) -> String {
        var body = legend()
        if data.columns.isEmpty {
            body += "<p class=\"muted\">No column to chart (identifiers and free text are not drawn).</p>\n"
        } else {
            body += "<div class=\"grid\">\n"
            for column in data.columns { body += columnFigure(column) }
            body += "</div>\n"
        }
        let skipped = data.fidelity.skippedColumns
        if !skipped.isEmpty {
            body += "<div class=\"notes\">Not drawn: "
                + skipped.map { "\(esc($0.column)) (\($0.kind.rawValue))" }.joined(separator: ", ") + ".</div>\n"
        }
        let sample = data.syntheticSampleRowCount < data.syntheticRowCount
            ? " Synthetic shares come from a sample of \(ReportFormat.count(data.syntheticSampleRowCount)) rows." : ""
        let lead = "Share of values per bin (numbers and dates: \(data.options.binCount) equal bins over the real "
            + "range, or one bin per value for small whole numbers) or per category (the "
            + "\(data.options.topCategories) most frequent real categories, then the rest together, then missing "
            + "cells).\(sample)"
        return section(id: "columns", title: "Columns", lead: lead, body: body)
    }

    /// One column's figure: a heading with its score, the chart, a caption with the caveats.
    static func columnFigure(_ column: ColumnDistribution) -> String {
        var html = "<figure class=\"column\" data-column=\"\(esc(column.column))\">\n<div class=\"head\">"
        html += "<h3 title=\"\(esc(column.column))\">\(esc(column.column))</h3>"
        html += "<span class=\"kind\">\(column.kind.rawValue)</span>"
        if column.metric != nil {
            html += "<span class=\"score\" title=\"\(esc(column.metric ?? ""))\">\(ReportFormat.score(column.score))</span>"
            html += gradePill(column.score)
        }
        html += "</div>\n"
        var notes: [String] = []
        if let histogram = column.histogram {
            html += histogramChart(histogram, column: column)
            let valued = column.syntheticRowCount - column.syntheticMissing
            if histogram.syntheticBelow + histogram.syntheticAbove > 0, valued > 0 {
                var parts: [String] = []
                if histogram.syntheticBelow > 0 {
                    parts.append(ReportFormat.percent(Double(histogram.syntheticBelow) / Double(valued)) + " below")
                }
                if histogram.syntheticAbove > 0 {
                    parts.append(ReportFormat.percent(Double(histogram.syntheticAbove) / Double(valued)) + " above")
                }
                notes.append("<span class=\"syn-text\">synthetic outside the real range: "
                    + parts.joined(separator: ", ") + "</span>")
            }
        } else if let categories = column.categories {
            html += categoryChart(categories, column: column)
            notes.append("\(ReportFormat.count(categories.realCategoryCount)) real "
                + (categories.realCategoryCount == 1 ? "category" : "categories"))
            if categories.syntheticUnseen > 0, column.syntheticRowCount > 0 {
                notes.append("<span class=\"syn-text\">"
                    + ReportFormat.percent(Double(categories.syntheticUnseen) / Double(column.syntheticRowCount))
                    + " synthetic rows with unseen categories</span>")
            }
        } else {
            html += "<p class=\"muted\">No values on either side.</p>\n"
        }
        if column.realMissing + column.syntheticMissing > 0 {
            notes.append("missing: real \(share(column.realMissing, column.realRowCount)), "
                + "synthetic \(share(column.syntheticMissing, column.syntheticRowCount))")
        }
        html += "<figcaption>\(notes.joined(separator: " · "))</figcaption>\n</figure>\n"
        return html
    }

    private static func share(_ count: Int, _ total: Int) -> String {
        total > 0 ? ReportFormat.percent(Double(count) / Double(total)) : "n/a"
    }

    /// Real shares as bars and synthetic shares as a step line, on the shared bins.
    static func histogramChart(_ h: Histogram, column: ColumnDistribution) -> String {
        let width = 400.0, height = 190.0
        let left = 40.0, right = 10.0, top = 8.0, bottom = 28.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let realTotal = Double(max(h.real.reduce(0, +), 1))
        let syntheticTotal = Double(max(h.synthetic.reduce(0, +) + h.syntheticBelow + h.syntheticAbove, 1))
        let realShares = h.real.map { Double($0) / realTotal }
        let syntheticShares = h.synthetic.map { Double($0) / syntheticTotal }
        let binPeaks = zip(realShares, syntheticShares).map { max($0, $1) }
        let peak = max(binPeaks.max() ?? 0, 1e-9)
        // One bin towering over the rest (a spike at 0, say) is cut, so that the rest stays visible.
        let tallest = binPeaks.firstIndex(of: peak) ?? 0
        let runnerUp = binPeaks.enumerated().filter { $0.offset != tallest }.map(\.element).max() ?? 0
        let isCut = runnerUp > 0 && peak > 4 * runnerUp
        let shown = isCut ? runnerUp * 1.6 : peak
        let step = niceStep(shown, count: 4)
        let yMax = max(shown * 1.05, step)
        let low = h.edges[0], high = h.edges[h.edges.count - 1]
        func x(_ v: Double) -> Double { left + (v - low) / (high - low) * plotWidth }
        func y(_ s: Double) -> Double { top + plotHeight * (1 - min(s, yMax) / yMax) }

        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" "
            + "aria-label=\"histogram of \(esc(column.column)): real and synthetic\">\n"
        // Grid and y labels.
        for k in 0 ... Int(yMax / step + 1e-9) {
            let tick = Double(k) * step
            svg += "<line x1=\"\(c(left))\" y1=\"\(c(y(tick)))\" x2=\"\(c(width - right))\" y2=\"\(c(y(tick)))\" "
                + "stroke=\"\(tick == 0 ? Palette.axis : Palette.grid)\"/>"
            svg += "<text x=\"\(c(left - 5))\" y=\"\(c(y(tick) + 4))\" text-anchor=\"end\">"
                + "\(ReportFormat.percent(tick))</text>\n"
        }
        // Real bars.
        let bins = h.real.count
        let gap = plotWidth / Double(bins) > 5 ? 1.0 : 0.0
        svg += "<g fill=\"\(Palette.real)\" fill-opacity=\"0.55\">"
        for i in 0 ..< bins where h.real[i] > 0 {
            let x0 = x(h.edges[i]) + gap / 2, x1 = x(h.edges[i + 1]) - gap / 2
            svg += "<rect x=\"\(c(x0))\" y=\"\(c(y(realShares[i])))\" width=\"\(c(max(x1 - x0, 0.5)))\" "
                + "height=\"\(c(y(0) - y(realShares[i])))\"><title>\(binLabel(h, i)): real "
                + "\(ReportFormat.percent(realShares[i])), synthetic \(ReportFormat.percent(syntheticShares[i]))"
                + "</title></rect>"
        }
        svg += "</g>\n"
        // Synthetic step line.
        var path = "M\(c(x(h.edges[0]))),\(c(y(0)))"
        for i in 0 ..< bins {
            path += "V\(c(y(syntheticShares[i])))H\(c(x(h.edges[i + 1])))"
        }
        path += "V\(c(y(0)))"
        svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(Palette.synthetic)\" stroke-width=\"2\" "
            + "stroke-linejoin=\"round\"/>\n"
        if isCut {
            // A break across the cut bin, and its shares written beside it.
            let x0 = x(h.edges[tallest]) - 2, x1 = x(h.edges[tallest + 1]) + 2
            svg += "<path d=\"M\(c(x0)),\(c(top + 9))L\(c(x1)),\(c(top + 5))M\(c(x0)),\(c(top + 13))L\(c(x1)),\(c(top + 9))\" "
                + "stroke=\"#fff\" stroke-width=\"2.5\"/>"
            let onRight = x1 + 150 < width
            svg += "<text x=\"\(c(onRight ? x1 + 4 : x0 - 4))\" y=\"\(c(top + 10))\" "
                + "text-anchor=\"\(onRight ? "start" : "end")\" font-size=\"10\" class=\"halo\">cut: real "
                + "\(ReportFormat.percent(realShares[tallest])), synthetic \(ReportFormat.percent(syntheticShares[tallest]))"
                + "</text>\n"
        }
        // X labels.
        for (position, label) in xLabels(h) {
            let px = x(position)
            svg += "<line x1=\"\(c(px))\" y1=\"\(c(y(0)))\" x2=\"\(c(px))\" y2=\"\(c(y(0) + 4))\" stroke=\"\(Palette.axis)\"/>"
            let anchor = px <= left + 1 ? "start" : px >= width - right - 1 ? "end" : "middle"
            svg += "<text x=\"\(c(px))\" y=\"\(c(y(0) + 16))\" text-anchor=\"\(anchor)\">\(esc(label))</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// Tick positions and labels on the x axis: whole numbers for one-value bins, round numbers
    /// otherwise, calendar ticks for datetime columns.
    static func xLabels(_ h: Histogram) -> [(Double, String)] {
        let low = h.edges[0], high = h.edges[h.edges.count - 1]
        if h.isIntegerAligned {
            let count = h.edges.count - 1
            let every = max(1, Int((Double(count) / 8).rounded(.up)))
            return stride(from: 0, to: count, by: every).map { i in
                (h.edges[i] + 0.5, ReportFormat.compact(h.edges[i] + 0.5))
            }
        }
        switch h.scale {
        case .datetime:
            return dateTicks(from: low, to: high)
        case .number:
            let step = niceStep(high - low, count: 4)
            let first = (low / step).rounded(.up)
            let last = (high / step).rounded(.down)
            guard last >= first, last - first < 20 else { return [(low, ReportFormat.compact(low))] }
            return stride(from: first, through: last, by: 1).map { k in
                let v = k * step
                return (v, ReportFormat.compact(abs(v) < step * 1e-9 ? 0 : v))
            }
        }
    }

    /// At most about five calendar ticks between two times (seconds since the epoch, UTC): years,
    /// month starts (`2013-04`), days (`04-15`) or hours (`15:00`), whichever the span calls for.
    static func dateTicks(from low: Double, to high: Double) -> [(Double, String)] {
        let day = 86_400.0, span = high - low
        let start = DateTimeParts(secondsSinceEpoch: Int64(low.rounded(.down)))
        func time(_ year: Int, _ month: Int, _ day: Int = 1, _ hour: Int = 0) -> Double {
            Double(DateTimeParts(year: year, month: month, day: day, hour: hour).secondsSinceEpoch)
        }
        func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        var ticks: [(Double, String)] = []
        if span >= 3 * 365 * day {
            let years = span / (365.25 * day)
            let step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000].first { years / Double($0) <= 5 } ?? 1000
            var year = Int((Double(start.year) / Double(step)).rounded(.up)) * step
            while ticks.count < 12, time(year, 1) <= high {
                if time(year, 1) >= low { ticks.append((time(year, 1), "\(year)")) }
                year += step
            }
        } else if span >= 60 * day {
            let months = span / (30.44 * day)
            let step = [1, 2, 3, 6, 12].first { months / Double($0) <= 5 } ?? 12
            var index = start.year * 12 + start.month - 1
            index = (index + step - 1) / step * step
            while ticks.count < 12, time(index / 12, index % 12 + 1) <= high {
                let t = time(index / 12, index % 12 + 1)
                if t >= low {
                    ticks.append((t, step == 12 ? "\(index / 12)" : "\(index / 12)-\(pad(index % 12 + 1))"))
                }
                index += step
            }
        } else if span >= 3 * day {
            let step = [1, 2, 7, 14, 28].first { span / (Double($0) * day) <= 5 } ?? 28
            var t = time(start.year, start.month, start.day)
            if t < low { t += day }
            while ticks.count < 12, t <= high {
                let p = DateTimeParts(secondsSinceEpoch: Int64(t))
                ticks.append((t, "\(pad(p.month))-\(pad(p.day))"))
                t += Double(step) * day
            }
        } else {
            let step = [1, 2, 3, 6, 12, 24].first { span / (Double($0) * 3600) <= 5 } ?? 24
            var t = time(start.year, start.month, start.day, start.hour)
            if t < low { t += 3600 }
            while ticks.count < 12, t <= high {
                let p = DateTimeParts(secondsSinceEpoch: Int64(t))
                ticks.append((t, p.hour == 0 ? "\(pad(p.month))-\(pad(p.day))" : "\(pad(p.hour)):00"))
                t += Double(step) * 3600
            }
        }
        if ticks.isEmpty {
            return [(low, ReportFormat.date(low, withTime: span < 3 * day)),
                    (high, ReportFormat.date(high, withTime: span < 3 * day))]
        }
        return ticks
    }

    /// The range of bin `i`, for tooltips.
    private static func binLabel(_ h: Histogram, _ i: Int) -> String {
        if h.isIntegerAligned { return ReportFormat.compact(h.edges[i] + 0.5) }
        switch h.scale {
        case .datetime:
            let withTime = h.edges[h.edges.count - 1] - h.edges[0] < 3 * 86_400
            return ReportFormat.date(h.edges[i], withTime: withTime) + " – "
                + ReportFormat.date(h.edges[i + 1], withTime: withTime)
        case .number:
            return ReportFormat.compact(h.edges[i]) + " – " + ReportFormat.compact(h.edges[i + 1])
        }
    }

    /// Paired horizontal bars (real above synthetic) per category.
    static func categoryChart(_ counts: CategoryCounts, column: ColumnDistribution) -> String {
        let width = 400.0, labelWidth = 118.0, right = 12.0, top = 4.0, rowHeight = 19.0, axisHeight = 20.0
        let plotWidth = width - labelWidth - right
        let rows = Double(counts.bars.count)
        let height = top + rows * rowHeight + axisHeight
        let realTotal = Double(max(column.realRowCount, 1)), syntheticTotal = Double(max(column.syntheticRowCount, 1))
        let peak = counts.bars.map { max(Double($0.real) / realTotal, Double($0.synthetic) / syntheticTotal) }.max() ?? 0
        let step = niceStep(max(peak, 1e-9), count: 3)
        let xMax = max(peak * 1.04, step)
        func x(_ s: Double) -> Double { labelWidth + s / xMax * plotWidth }
        let baseline = top + rows * rowHeight

        var svg = "<svg viewBox=\"0 0 \(c(width)) \(c(height))\" role=\"img\" "
            + "aria-label=\"category shares of \(esc(column.column)): real and synthetic\">\n"
        for k in 0 ... Int(xMax / step + 1e-9) {
            let tick = Double(k) * step
            svg += "<line x1=\"\(c(x(tick)))\" y1=\"\(c(top))\" x2=\"\(c(x(tick)))\" y2=\"\(c(baseline))\" "
                + "stroke=\"\(tick == 0 ? Palette.axis : Palette.grid)\"/>"
            svg += "<text x=\"\(c(x(tick)))\" y=\"\(c(baseline + 14))\" text-anchor=\"middle\">"
                + "\(ReportFormat.percent(tick))</text>\n"
        }
        for (i, bar) in counts.bars.enumerated() {
            let y0 = top + Double(i) * rowHeight
            let realShare = Double(bar.real) / realTotal, syntheticShare = Double(bar.synthetic) / syntheticTotal
            let style = bar.role == .value ? "" : " font-style=\"italic\" fill=\"\(Palette.axis)\""
            svg += "<g><title>\(esc(bar.label)): real \(ReportFormat.percent(realShare)) "
                + "(\(ReportFormat.count(bar.real))), synthetic \(ReportFormat.percent(syntheticShare)) "
                + "(\(ReportFormat.count(bar.synthetic)))</title>"
            svg += "<text x=\"\(c(labelWidth - 6))\" y=\"\(c(y0 + 13))\" text-anchor=\"end\"\(style)>"
                + "\(ReportFormat.escape(bar.label, limit: bar.role == .other ? 22 : 18))</text>"
            svg += "<rect x=\"\(c(labelWidth))\" y=\"\(c(y0 + 2.5))\" width=\"\(c(x(realShare) - labelWidth))\" "
                + "height=\"7\" fill=\"\(Palette.real)\"/>"
            svg += "<rect x=\"\(c(labelWidth))\" y=\"\(c(y0 + 9.5))\" width=\"\(c(x(syntheticShare) - labelWidth))\" "
                + "height=\"7\" fill=\"\(Palette.synthetic)\"/></g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// A round step (1, 2 or 5 times a power of ten) giving about `count` ticks up to `maximum`.
    static func niceStep(_ maximum: Double, count: Int) -> Double {
        let raw = maximum / Double(max(count, 1))
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let normalized = raw / magnitude
        let factor: Double = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10
        return factor * magnitude
    }
}
