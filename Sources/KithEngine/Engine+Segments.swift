import KithCore
import KithProjections

extension Engine {
    /// One page of a segment's (or stage's) profiles, in profile-id order.
    public struct MemberPage: Sendable {
        /// The instant the RFM view measures to.
        public var asOf: Int64
        /// Whether more profiles follow the last one handed out.
        public var more: Bool
    }

    /// Hands the profiles of `key` after profile id `after` to `body`, at most `limit` of them,
    /// as the last RFM refresh left them. Throws `noRFMView` before any refresh.
    public static func members(
        of key: SegmentKey, in store: some ProfileQueries, after: String? = nil, limit: Int? = nil,
        _ body: (RFMLine) throws -> Void
    ) throws -> MemberPage {
        let view = try rfmView(of: store)
        var listed = 0
        var more = false
        do {
            try store.forEachRFM(after: after) { entry in
                switch key {
                case .segment(let wanted): guard entry.score?.segment == wanted else { return true }
                case .stage(let wanted): guard entry.stage == wanted else { return true }
                }
                if let limit, listed == limit {
                    more = true
                    return false
                }
                listed += 1
                try body(RFMLine(entry, currency: view.model.currency))
                return true
            }
        } catch let error as EngineError {
            throw error
        } catch {
            throw EngineError(wrapping: error)
        }
        return MemberPage(asOf: view.asOf, more: more)
    }

    /// The RFM view as the last refresh left it.
    public static func rfmView(of store: some ProfileQueries) throws -> RFMView {
        let view: RFMView?
        do { view = try store.rfmView() } catch { throw EngineError(wrapping: error) }
        guard let view else { throw EngineError(.noRFMView, "there is no RFM view yet") }
        return view
    }
}
