import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithLog
import KithProjections

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Rebuild identity, profiles, RFM and lifecycle from the log under new rules, then swap them in.",
        discussion: """
            The rebuild goes into a shadow store while the current one keeps answering reads; when \
            the shadow has caught up with the log it replaces the current store in one atomic \
            rename. A killed replay leaves the current store untouched; run it again with the same \
            rules to resume. --dry-run prints the impact report and keeps the shadow, so applying \
            the same rules afterwards costs nothing more.
            """)
    @OptionGroup var data: DataOptions
    @OptionGroup var rules: RulesOption
    @Option(help: "Instant to measure recency to (default: the current store's).") var asOf: Projection.AsOf?
    @Flag(help: "Build the shadow and report the impact without swapping it in.") var dryRun = false
    @Option(
        help: """
            Events per committed batch, so a killed replay resumes from its last batch. Default: one \
            transaction (fastest; a killed replay starts over).
            """)
    var batchSize: Int?
    @Option(help: "table or json") var format: OutputFormat = .table
    @OptionGroup var priority: BatchPriority

    func run() throws {
        priority.apply()
        let directory = data.directory
        let engine = try Projection.engine(directory)
        let report = try Projection.reporting {
            try engine.holdingTheLog(purpose: "kith replay") {
                var options = Engine.Replay(
                    rulesFile: rules.rules, asOf: asOf, dryRun: dryRun, batchSize: batchSize.map { max(1, $0) })
                if Out.stderrIsTerminal { options.progress = ProgressLine(label: "replay").show }
                defer { if Out.stderrIsTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
                return try engine.replay(under: try Projection.rules(rules, directory), options)
            }
        }
        if let adopted = report.adoptedRules, let file = rules.rules {
            Out.note("the rules in force are now \(adopted) (copied from \(file))")
        }
        if format == .json {
            try Out.json(Stored(report, store: engine.storeName))
        } else {
            Out.print(Projection.render(report.projection, store: engine.storeName))
            Out.print(
                String(format: "compared the current store with the replayed one in %.2f s", report.impactSeconds))
            Out.print(ReplayCommand.render(report.impact))
            Out.print(
                !dryRun
                    ? "applied: \(report.shadow) is now the projection store"
                    : engine.postgres == nil
                        ? "dry run: nothing swapped; the shadow store is kept at \(report.shadow) (kith replay with the same rules applies it)"
                        : "dry run: nothing swapped; the replayed generation was dropped (kith replay without --dry-run loads and applies it)"
            )
        }
        Out.flush()
    }

    static func render(_ i: ReplayImpact) -> String {
        var out: [String] = []
        out.append(
            "profiles: \(i.liveProfiles.grouped) now (log position \(i.livePosition)) → \(i.shadowProfiles.grouped) after replay (position \(i.shadowPosition))"
        )
        out.append("merged: \(i.merged.grouped) profiles join values of two or more current profiles")
        for e in i.mergedExamples { out.append("  e.g. \(e.profile) \(e.detail)") }
        out.append("split: \(i.split.grouped) current profiles fall apart")
        for e in i.splitExamples { out.append("  e.g. \(e.profile) \(e.detail)") }
        let refused = i.newlyRefused.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.grouped)" }
        out.append("links newly refused: \(refused.isEmpty ? "none" : refused.joined(separator: ", "))")
        for e in i.newlyRefusedExamples { out.append("  e.g. \(e.profile): \(e.detail)") }
        let keys = Segment.allCases.map(\.key) + ["prospect", "absent"]
        var counts: [String: [String: Int]] = [:]
        for m in i.segmentTransitions { counts[m.from, default: [:]][m.to] = m.count }
        var matrix = TextTable(header: ["from \\ to"] + keys.map(short), rightAligned: Set(1...keys.count))
        for from in keys {
            matrix.rows.append([short(from)] + keys.map { (counts[from]?[$0]).map { $0.grouped } ?? "·" })
        }
        out.append("segment transitions (rows: now, columns: after replay):")
        out.append(matrix.render())
        let moved = i.segmentTransitions.filter { $0.from != $0.to }.sorted { $0.count > $1.count }
        for m in moved.prefix(5) {
            out.append("  \(m.from) → \(m.to): \(m.count.grouped), e.g. \(m.examples.joined(separator: ", "))")
        }
        let stages = i.stageChanges.filter { $0.from != $0.to }.sorted { $0.count > $1.count }
        out.append("lifecycle changes:" + (stages.isEmpty ? " none" : ""))
        for m in stages {
            out.append("  \(m.from) → \(m.to): \(m.count.grouped), e.g. \(m.examples.joined(separator: ", "))")
        }
        return out.joined(separator: "\n")
    }

    /// Column heads short enough for an 80-column terminal: `imp_value`, `gen_win_back`, ….
    static func short(_ key: String) -> String {
        key.replacingOccurrences(of: "important_", with: "imp_").replacingOccurrences(of: "general_", with: "gen_")
            .replacingOccurrences(of: "development", with: "dev").replacingOccurrences(of: "retention", with: "ret")
    }
}
