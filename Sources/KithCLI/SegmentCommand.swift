import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithProjections

struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Profiles of one RFM segment or lifecycle stage.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a segment's profiles in profile-id order (page with --after).",
            discussion:
                "SEGMENT is a machine key (important_value, …, general_win_back) or a lifecycle stage (prospect, new, repeat, loyal, at_risk, churned)."
        )
        @OptionGroup var data: DataOptions
        @Argument(help: "Segment or stage key.") var segment: String
        @Option(help: "At most this many profiles.") var limit: Int?
        @Option(help: "Start after this profile id (the last one of the previous page).") var after: String?
        @Option(help: "table, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            guard let key = SegmentKey(key: segment) else {
                Out.note("error: '\(segment)' is not \(SegmentKey.expected)")
                throw ExitCode.validationFailure
            }
            let store = try Projection.openStore(data.directory)
            _ = try RFMCommand.view(store)
            var table = TextTable(
                header: ["profile_id", "recency_days", "frequency", "monetary", "rfm", "segment", "stage"],
                rightAligned: [1, 2, 3])
            if format == .csv { Out.print(RFMLine.csvHeader) }
            _ = try Projection.reporting {
                try Engine.members(of: key, in: store, after: after, limit: limit) { line in
                    switch format {
                    case .ndjson: try Out.json(line, pretty: false)
                    case .csv: Out.print(line.csvRow)
                    default:
                        let rfm = [line.rScore, line.fScore, line.mScore].compactMap { $0 }.map(String.init).joined()
                        table.rows.append([
                            line.profileID, line.recencyDays.map(String.init) ?? "", String(line.frequency),
                            line.monetary,
                            rfm.isEmpty ? "-" : rfm, line.segment?.key ?? "", line.stage.key,
                        ])
                    }
                }
            }
            if format == .table { Out.print(table.render()) }
            Out.flush()
        }
    }
}

struct LifecycleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle", abstract: "The lifecycle funnel: prospect, new, repeat, loyal, at risk, churned.")
    @OptionGroup var data: DataOptions
    @Option(help: "zh or en") var lang: Segment.Language = .zh
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        let view = try RFMCommand.view(try Projection.openStore(data.directory))
        let stages = view.summary.stages
        if format == .json {
            try Out.json(
                Funnel(
                    asOf: Timestamp(epochSeconds: view.asOf).description, stages: stages, rules: view.model.lifecycle))
        } else {
            let total = max(1, view.summary.profiles)
            let largest = max(1, stages.values.max() ?? 1)
            var table = TextTable(
                header: lang == .zh ? ["阶段", "人数", "占比%", ""] : ["stage", "profiles", "share%", ""],
                rightAligned: [1, 2])
            for stage in LifecycleStage.allCases {
                let n = stages[stage.key] ?? 0
                table.rows.append([
                    stage.label(lang), n.grouped, Threshold(Int64(n) * 100, over: Int64(total)).decimal(places: 2),
                    String(repeating: "█", count: (n * 30 + largest - 1) / largest),
                ])
            }
            let r = view.model.lifecycle
            Out.print(
                """
                lifecycle as of \(Timestamp(epochSeconds: view.asOf).description); at risk after \(r.atRiskDays) days, \
                churned after \(r.churnedDays), loyal: ≥ \(r.loyalMinOrders) orders within \(r.loyalMaxRecencyDays) days
                \(table.render())
                """)
        }
        Out.flush()
    }

    struct Funnel: Encodable {
        var asOf: String
        var stages: [String: Int]
        var rules: LifecycleRules

        enum CodingKeys: String, CodingKey {
            case stages, rules
            case asOf = "as_of"
        }
    }
}
