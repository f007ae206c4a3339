import ArgumentParser
import Foundation
import KithCore
import KithIngest
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

    struct State: Codable {
        var generation: Int
        var projectionHash: String

        enum CodingKeys: String, CodingKey {
            case generation
            case projectionHash = "projection_hash"
        }
    }

    struct Report: Encodable {
        var applied: Bool
        var shadow: String
        var projection: Projector.Summary
        var impact: ReplayImpact
        var rulesHash: String

        enum CodingKeys: String, CodingKey {
            case applied, shadow, projection, impact
            case rulesHash = "rules_hash"
        }
    }

    func run() throws {
        priority.apply()
        let directory = data.directory
        let lock: DirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: directory.log, withIntermediateDirectories: true)
            lock = try DirectoryLock(directory: directory.log, purpose: "kith replay")
        } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        try withExtendedLifetime(lock) {
            let newRules = try Projection.rules(rules, directory)
            let hash = Projector.hash(newRules)
            let live = try Projection.openStore(directory)
            let liveView = try live.rfmView()
            let generation = try shadowGeneration(directory, projectionHash: hash)
            let shadowPath = directory.projections(generation: generation)
            let instant: Projection.AsOf =
                asOf ?? liveView.map { .carried($0.asOf, pinned: $0.pinned) } ?? .now
            let summary = try Projection.catchUp(
                directory, rules: newRules, batchSize: batchSize.map { max(1, $0) }, progress: Out.stderrIsTerminal,
                storePath: shadowPath, asOf: instant, label: "replay")
            let shadow = try SQLiteProjectionStore(path: shadowPath)
            let impact = try ReplayImpact(live: live, shadow: shadow)
            if !dryRun {
                try directory.swapProjections(to: generation)
                try? FileManager.default.removeItem(atPath: directory.replayState)
                try adoptRulesFile(directory)
                // Keep the previous generation (readers may still have it open); drop older ones.
                let kept = [generation, directory.generation(of: live.path)]
                for g in directory.projectionGenerations where !kept.contains(g) { directory.removeProjections(generation: g) }
            }
            let report = Report(
                applied: !dryRun, shadow: shadowPath, projection: summary, impact: impact,
                rulesHash: Projector.hash(fullRules: newRules))
            if format == .json {
                try Out.json(report)
            } else {
                Out.print(Projection.render(summary))
                Out.print(ReplayCommand.render(impact))
                Out.print(
                    dryRun
                        ? "dry run: nothing swapped; the shadow store is kept at \(shadowPath) (kith replay with the same rules applies it)"
                        : "applied: \(shadowPath) is now the projection store")
            }
            Out.flush()
        }
    }

    /// Makes `--rules FILE` the data directory's rules in force (`DIR/rules.EXT`), so later
    /// ingests project with the rules the store was rebuilt under.
    func adoptRulesFile(_ directory: DataDirectory) throws {
        guard let file = rules.rules else { return }
        let ext = (file as NSString).pathExtension.lowercased()
        let target = directory.path + "/rules." + (["yaml", "yml", "json"].contains(ext) ? ext : "json")
        guard (file as NSString).standardizingPath != (target as NSString).standardizingPath,
            let content = FileManager.default.contents(atPath: file)
        else { return }
        try directory.durablyWrite(content, to: target + ".tmp")
        for name in ["rules.yaml", "rules.yml", "rules.json"] where directory.path + "/" + name != target {
            try? FileManager.default.removeItem(atPath: directory.path + "/" + name)
        }
        do {
            // Synced, so a power loss cannot put the old rules back beside the new store.
            try directory.disk.rename(target + ".tmp", to: target)
            try directory.syncDirectory()
        } catch {
            Out.note("error: the new store is in force, but \(file) could not be copied to \(target): \(error)")
            throw ExitCode(2)
        }
        Out.note("the rules in force are now \(target) (copied from \(file))")
    }

    /// The shadow to build into: the unfinished one if it was started under the same rules,
    /// else a fresh generation after every one on disk.
    func shadowGeneration(_ directory: DataDirectory, projectionHash: String) throws -> Int {
        let current = directory.projectionsGeneration
        if let data = FileManager.default.contents(atPath: directory.replayState),
            let state = try? JSONDecoder().decode(State.self, from: data), state.generation != current
        {
            if state.projectionHash == projectionHash { return state.generation }
            directory.removeProjections(generation: state.generation)
        }
        let generation = (directory.projectionGenerations.max() ?? 0) + 1
        directory.removeProjections(generation: generation)
        try directory.durablyReplace(
            directory.replayState,
            with: try JSONEncoder().encode(State(generation: generation, projectionHash: projectionHash)))
        return generation
    }

    static func render(_ i: ReplayImpact) -> String {
        var out: [String] = []
        out.append(
            "profiles: \(i.liveProfiles.grouped) now (log position \(i.livePosition)) → \(i.shadowProfiles.grouped) after replay (position \(i.shadowPosition))")
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
        for m in stages { out.append("  \(m.from) → \(m.to): \(m.count.grouped), e.g. \(m.examples.joined(separator: ", "))") }
        return out.joined(separator: "\n")
    }

    /// Column heads short enough for an 80-column terminal: `imp_value`, `gen_win_back`, ….
    static func short(_ key: String) -> String {
        key.replacingOccurrences(of: "important_", with: "imp_").replacingOccurrences(of: "general_", with: "gen_")
            .replacingOccurrences(of: "development", with: "dev").replacingOccurrences(of: "retention", with: "ret")
    }
}
