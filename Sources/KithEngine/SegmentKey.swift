import KithCore

/// What a segment listing names: one of the eight RFM segments, or a lifecycle stage. Both
/// surfaces take it as text; this is where text becomes the typed value, once.
public enum SegmentKey: Sendable, Equatable {
    case segment(Segment)
    case stage(LifecycleStage)

    /// `important_value`, …, `general_win_back`, or `prospect`, …, `churned`.
    public init?(key: String) {
        if let segment = Segment(rawValue: key) {
            self = .segment(segment)
        } else if let stage = LifecycleStage(rawValue: key) {
            self = .stage(stage)
        } else {
            return nil
        }
    }

    /// The keys there are, for an error that says what was expected.
    public static var expected: String {
        "a segment (\(Segment.allCases.map(\.key).joined(separator: ", "))) "
            + "or a lifecycle stage (\(LifecycleStage.allCases.map(\.key).joined(separator: ", ")))"
    }
}
