/// One scored profile: raw values, 1–5 scores, and its segment.
public struct RFMScore: Sendable, Equatable {
    public var recencyDays: Int
    public var frequency: Int
    public var monetary: Int64
    public var r: Int
    public var f: Int
    public var m: Int
    public var segment: Segment
}
