import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithLog
import KithProjections

extension Segment.Language: ExpressibleByArgument {}

struct RFMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rfm", abstract: "The RFM view: eight segments by recency, frequency and monetary.",
        subcommands: [Show.self, Refresh.self, Export.self], defaultSubcommand: Show.self)

    static func view(_ store: any ProfileQueries) throws -> RFMView {
        do { return try Engine.rfmView(of: store) } catch let error as EngineError where error.code == .noRFMView {
            Out.note("error: there is no RFM view yet: ingest or project first, or run kith rfm refresh")
            throw ExitCode(1)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The segment table: count, share, mean R/F/M, share of monetary, with bars.")
        @OptionGroup var data: DataOptions
        @Option(help: "zh or en") var lang: Segment.Language = .zh
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let view = try RFMCommand.view(try Projection.openStore(data.directory))
            if format == .json {
                try Out.json(view)
            } else {
                Out.print(RFMCommand.render(view, lang: lang))
            }
            Out.flush()
        }
    }

    static func render(_ view: RFMView, lang: Segment.Language) -> String {
        let s = view.summary
        let m = view.model
        let digits = Money.minorDigits(of: m.currency)
        var table = TextTable(
            header: lang == .zh
                ? ["客户分群", "人数", "占比%", "平均R(天)", "平均F", "平均M", "金额占比%", ""]
                : ["segment", "profiles", "share%", "mean R (days)", "mean F", "mean M", "monetary%", ""],
            rightAligned: [1, 2, 3, 4, 5, 6])
        let largest = max(1, s.segments.map(\.count).max() ?? 1)
        for row in s.segments {
            let segment = row.segment
            let bar = String(repeating: "█", count: (row.count * 30 + largest - 1) / largest)
            table.rows.append([
                segment.label(lang), row.count.grouped, row.share, row.meanRecencyDays, row.meanFrequency,
                row.meanMonetary,
                row.monetaryShare, bar,
            ])
        }
        let asOf = Timestamp(epochSeconds: view.asOf).description
        return """
            RFM as of \(asOf)\(view.pinned ? " (pinned)" : ""); \(s.scored.grouped) scored of \(s.profiles.grouped) profiles \
            (\((s.profiles - s.scored).grouped) prospects); log position \(view.position)
            thresholds: recency < \(m.recencyThreshold.decimal(places: 1)) days, frequency > \(m.frequencyThreshold.decimal(places: 2)), \
            monetary > \(m.monetaryThreshold.decimal(places: digits, minorDigits: digits)) \(m.currency)
            \(table.render())
            """
    }

    struct Refresh: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute scores, thresholds and segments from every profile's raw values.",
            discussion: """
                --as-of T pins the instant recency is measured to (RFC 3339, or YYYY-MM-DD for its \
                midnight UTC); later refreshes after ingest keep it until --as-of now.
                """)
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Option(help: "Instant to measure recency to, or now (default: the pinned instant, else now).")
        var asOf: Projection.AsOf?
        @Option(help: "zh or en") var lang: Segment.Language = .zh
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let clock = ContinuousClock()
            let start = clock.now
            let view = try Projection.refresh(
                store, rules: try Projection.rules(rules, data.directory), asOf: asOf, in: data.directory)
            let elapsed = clock.now - start
            if format == .json {
                try Out.json(view)
            } else {
                Out.print(RFMCommand.render(view, lang: lang))
                Out.note(
                    "refreshed \(view.summary.profiles.grouped) profiles in \(elapsed.formatted(.units(allowed: [.milliseconds])))"
                )
            }
            Out.flush()
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "One line per scored profile: profile_id, recency_days, frequency, monetary, r/f/m scores, segment, stage."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "csv or ndjson") var format: OutputFormat = .csv

        func run() throws {
            let store = try Projection.openStore(data.directory)
            _ = try RFMCommand.view(store)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if format != .ndjson { Out.print(RFMLine.csvHeader) }
            try Projection.reporting {
                try Engine.exportRFM(from: store) { line in
                    Out.print(
                        format == .ndjson ? String(decoding: try encoder.encode(line), as: UTF8.self) : line.csvRow)
                }
            }
            Out.flush()
        }
    }
}
