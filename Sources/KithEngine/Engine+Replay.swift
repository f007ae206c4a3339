import Foundation
import KithCore
import KithDirectory
import KithLog
import KithProjections

extension Engine {
    /// How a replay runs.
    public struct Replay {
        /// The rules file the new rules came from; once swapped in, it becomes the directory's
        /// rules in force (`DIR/rules.EXT`). Nil: the rules are already the directory's.
        public var rulesFile: String?
        /// The instant to measure recency to; nil keeps the current store's.
        public var asOf: RFMInstant?
        /// Build the shadow and report the impact, but swap nothing.
        public var dryRun = false
        /// Events per committed batch (so a killed replay resumes); nil: one transaction.
        public var batchSize: Int?
        /// Called as the shadow's projection advances.
        public var progress: ((ProjectionProgress) -> Void)?

        public init(
            rulesFile: String? = nil, asOf: RFMInstant? = nil, dryRun: Bool = false, batchSize: Int? = nil,
            progress: ((ProjectionProgress) -> Void)? = nil
        ) {
            self.rulesFile = rulesFile
            self.asOf = asOf
            self.dryRun = dryRun
            self.batchSize = batchSize
            self.progress = progress
        }
    }

    /// What a replay did.
    public struct ReplayReport: Encodable, Sendable {
        public var applied: Bool
        public var shadow: String
        public var projection: Projector.Summary
        public var impact: ReplayImpact
        /// How long reading both stores and comparing them took (the report's own cost, on top
        /// of the projection's `seconds`).
        public var impactSeconds: Double
        public var rulesHash: String
        /// Where the adopted rules file now lies (`DIR/rules.EXT`), when one was adopted.
        public var adoptedRules: String?

        enum CodingKeys: String, CodingKey {
            case applied, shadow, projection, impact
            case impactSeconds = "impact_seconds"
            case rulesHash = "rules_hash"
        }
    }

    /// Rebuilds identity, profiles, RFM and lifecycle from the log under `rules` into a shadow
    /// store while the current one keeps answering, then (unless a dry run) swaps it in with one
    /// atomic rename. A killed replay leaves the current store untouched; run again under the
    /// same rules, it resumes its shadow. The caller holds the log's writer lock.
    public func replay(under rules: Rules, _ options: Replay) throws -> ReplayReport {
        if let postgres { return try replay(inPostgres: postgres, under: rules, options) }
        let livePath = directory.projections
        let live = try openStore()
        let liveView: RFMView?
        do { liveView = try live.rfmView() } catch { throw EngineError(wrapping: error) }
        let generation = try shadowGeneration(projectionHash: Projector.hash(rules))
        let shadowPath = directory.projections(generation: generation)
        let summary = try catchUp(
            under: rules,
            CatchUp(
                batchSize: options.batchSize, storePath: shadowPath,
                asOf: options.asOf ?? liveView.map { .carried($0.asOf, pinned: $0.pinned) } ?? .now,
                progress: options.progress))
        let impact: ReplayImpact
        let comparing = ContinuousClock.now
        do { impact = try ReplayImpact(live: live, shadow: try SQLiteProjectionStore(path: shadowPath)) } catch {
            throw EngineError(wrapping: error)
        }
        var report = ReplayReport(
            applied: !options.dryRun, shadow: shadowPath, projection: summary, impact: impact,
            impactSeconds: (ContinuousClock.now - comparing).inSeconds, rulesHash: Projector.hash(fullRules: rules))
        guard !options.dryRun else { return report }
        do {
            try directory.swapProjections(to: generation)
            try? FileManager.default.removeItem(atPath: directory.replayState)
        } catch {
            throw EngineError(wrapping: error)
        }
        report.adoptedRules = try adoptRulesFile(options.rulesFile)
        // Keep the previous generation (readers may still have it open); drop older ones.
        let kept = [generation, directory.generation(of: livePath)]
        for g in directory.projectionGenerations where !kept.contains(g) { directory.removeProjections(generation: g) }
        return report
    }

    /// An unfinished replay's shadow (`DIR/replay.json`), so a killed replay can resume.
    struct ReplayState: Codable {
        var generation: Int
        var projectionHash: String

        enum CodingKeys: String, CodingKey {
            case generation
            case projectionHash = "projection_hash"
        }
    }

    /// The shadow to build into: the unfinished one if it was started under the same rules,
    /// else a fresh generation after every one on disk.
    func shadowGeneration(projectionHash: String) throws -> Int {
        let current = directory.projectionsGeneration
        if let data = FileManager.default.contents(atPath: directory.replayState),
            let state = try? JSONDecoder().decode(ReplayState.self, from: data), state.generation != current
        {
            if state.projectionHash == projectionHash { return state.generation }
            directory.removeProjections(generation: state.generation)
        }
        let generation = (directory.projectionGenerations.max() ?? 0) + 1
        directory.removeProjections(generation: generation)
        do {
            try directory.durablyReplace(
                directory.replayState,
                with: try JSONEncoder().encode(ReplayState(generation: generation, projectionHash: projectionHash)))
        } catch {
            throw EngineError(wrapping: error)
        }
        return generation
    }

    /// Makes `file` the directory's rules in force (`DIR/rules.EXT`), so later ingests project
    /// with the rules the store was rebuilt under. Returns where it now lies, or nil when there
    /// was nothing to copy.
    func adoptRulesFile(_ file: String?) throws -> String? {
        guard let file else { return nil }
        let ext = (file as NSString).pathExtension.lowercased()
        let target = directory.path + "/rules." + (["yaml", "yml", "json"].contains(ext) ? ext : "json")
        guard (file as NSString).standardizingPath != (target as NSString).standardizingPath,
            let content = FileManager.default.contents(atPath: file)
        else { return nil }
        do {
            // Synced, so a power loss cannot put the old rules back beside the new store.
            try directory.durablyReplace(target, with: content)
            for name in ["rules.yaml", "rules.yml", "rules.json"] where directory.path + "/" + name != target {
                try? FileManager.default.removeItem(atPath: directory.path + "/" + name)
            }
            try directory.syncDirectory()
        } catch {
            throw EngineError(
                .unavailable, "the new store is in force, but \(file) could not be copied to \(target): \(error)")
        }
        return target
    }
}
