import Foundation
import KithCore

/// One profile's place in the RFM view.
public struct RFMEntry: Sendable {
    public var profile: String
    public var raw: RFMRaw
    public var score: RFMScore?
    public var stage: LifecycleStage
}

extension ProfileQueries {
    /// The RFM view as the last refresh left it (nil before the first).
    public func rfmView() throws -> RFMView? { try reading { try $0.rfmView() } }

    /// Every profile's view entry in profile-id order, from `after` (exclusive) on, until
    /// `body` returns false; all from one committed state.
    public func forEachRFM(after: String? = nil, _ body: (RFMEntry) throws -> Bool) throws {
        try reading { snapshot in
            guard let view = try snapshot.rfmView() else {
                throw ProjectionError(.noRFMView, "there is no RFM view yet")
            }
            try snapshot.forEachProfileRFM(after: after) { profile, raw in
                try body(
                    RFMEntry(profile: profile, raw: raw, score: view.model.score(raw), stage: view.model.stage(raw)))
            }
        }
    }

    /// The rules refreshes applied, newest first.
    public func rulesApplied() throws -> [AppliedRules] { try reading { try $0.rulesApplied() } }

    /// The log position the store has projected up to.
    public func checkpointPosition() throws -> UInt64 { try reading { try $0.checkpoint() } }

    /// The instant a refresh uses when none is given: the last refresh's, if it was pinned
    /// (`kith rfm refresh --as-of T`), else now.
    public func refreshInstant(now: Date) throws -> (asOf: Int64, pinned: Bool) {
        if let previous = try rfmView(), previous.pinned { return (previous.asOf, true) }
        return (Int64(now.timeIntervalSince1970), false)
    }
}

/// Recomputing the RFM view: scores, thresholds, segment counts and the lifecycle funnel from
/// every profile's inputs, the same for every store.
public enum RFMRefresh {
    /// Fits the model to the inputs of one committed state, and saves it with the rules applied.
    @discardableResult
    public static func run(
        on store: some ProjectionStore & ProfileQueries, rules: Rules, asOf: Int64, pinned: Bool, now: Date
    ) throws -> RFMView {
        let (raws, position) = try store.reading { snapshot in
            var raws: [RFMRaw] = []
            try snapshot.forEachRFMRaw { raws.append($0) }
            return (raws, try snapshot.checkpoint())
        }
        let model = RFMModel.fit(raws, rules: rules.rfm, lifecycle: rules.lifecycle, asOf: asOf)
        let refreshedAt = Timestamp(epochSeconds: Int64(now.timeIntervalSince1970)).description
        let view = RFMView(
            asOf: asOf, pinned: pinned, position: position, rulesHash: Projector.hash(fullRules: rules),
            refreshedAt: refreshedAt, model: model, summary: RFMSummary(raws, model: model))
        try store.saveRFM(
            view,
            applying: AppliedRules(
                hash: view.rulesHash, appliedAt: refreshedAt, rules: try CanonicalJSON.text(rules)))
        return view
    }
}
