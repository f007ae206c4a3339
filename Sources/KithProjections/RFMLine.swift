import KithCore

/// One profile's row of the RFM view, as `kith rfm export`, `kith segment list` and the API
/// write it. A prospect (no orders) has no recency, scores or segment: those are null.
public struct RFMLine: Encodable, Sendable {
    public var profileID: String
    public var recencyDays: Int?
    public var frequency: Int
    public var monetary: String
    public var rScore: Int?
    public var fScore: Int?
    public var mScore: Int?
    /// Nil for a prospect.
    public var segment: Segment?
    public var stage: LifecycleStage

    public init(_ entry: RFMEntry, currency: String) {
        let s = entry.score
        profileID = entry.profile
        recencyDays = s?.recencyDays
        frequency = entry.raw.orders
        monetary = Money(minorUnits: entry.raw.monetary, currency: currency).decimalString
        rScore = s?.r
        fScore = s?.f
        mScore = s?.m
        segment = s?.segment
        stage = entry.stage
    }

    public static let csvHeader = "profile_id,recency_days,frequency,monetary,r_score,f_score,m_score,segment,stage"

    public var csvRow: String {
        func text(_ n: Int?) -> String { n.map(String.init) ?? "" }
        let fields: [String] = [
            profileID, text(recencyDays), String(frequency), monetary, text(rScore), text(fScore), text(mScore),
            segment?.key ?? "",
            stage.key,
        ]
        return fields.joined(separator: ",")
    }

    enum CodingKeys: String, CodingKey {
        case frequency, monetary, segment, stage
        case profileID = "profile_id"
        case recencyDays = "recency_days"
        case rScore = "r_score"
        case fScore = "f_score"
        case mScore = "m_score"
    }

    /// Nulls are written, not left out: every row has every column.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(profileID, forKey: .profileID)
        try c.encode(recencyDays, forKey: .recencyDays)
        try c.encode(frequency, forKey: .frequency)
        try c.encode(monetary, forKey: .monetary)
        try c.encode(rScore, forKey: .rScore)
        try c.encode(fScore, forKey: .fScore)
        try c.encode(mScore, forKey: .mScore)
        try c.encode(segment, forKey: .segment)
        try c.encode(stage, forKey: .stage)
    }
}
