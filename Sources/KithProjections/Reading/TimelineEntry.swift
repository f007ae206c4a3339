import KithCore

/// One event on a profile's timeline, as `kith profile timeline` and the API list them.
public struct TimelineEntry: Codable, Sendable, Equatable {
    public var position: UInt64
    public var eventID: String
    public var type: String
    public var name: String
    public var source: String
    public var occurredAt: String

    public init(position: UInt64, eventID: String, type: String, name: String, source: String, occurredAt: String) {
        self.position = position
        self.eventID = eventID
        self.type = type
        self.name = name
        self.source = source
        self.occurredAt = occurredAt
    }

    enum CodingKeys: String, CodingKey {
        case position, type, name, source
        case eventID = "event_id"
        case occurredAt = "occurred_at"
    }

    /// Where the next page starts.
    public var cursor: TimelineCursor { TimelineCursor(occurredAt: occurredAt, position: position) }
}

extension ProfileSnapshot {
    /// Where a profile's events sit in the log, newest first, one page: the store knows the
    /// positions (see `TimelineIndex`), the log holds the events. `before` is where the
    /// previous page ended.
    public func timelinePage(
        of profile: String, limit: Int, type: String? = nil, before: TimelineCursor? = nil
    ) throws -> [TimelineIndex.Entry] {
        guard limit > 0 else { return [] }
        var wantedType: EventType?
        if let type {
            guard let known = EventType(rawValue: type) else { return [] }
            wantedType = known
        }
        let cursor = before.flatMap { b in
            (try? Timestamp.parse(b.occurredAt).get()).map { (epoch: $0.epochSeconds, position: b.position) }
        }
        var entries: [TimelineIndex.Entry] = []
        for (node, bytes) in try timelines(of: try members(of: profile)) {
            guard let decoded = TimelineIndex.entries(bytes) else {
                throw ProjectionError(.needsRebuild, "value #\(node)'s timeline is damaged")
            }
            entries += decoded
        }
        entries.removeAll { e in
            if let wantedType, e.type != wantedType { return true }
            if let cursor {
                return
                    !(e.epochSeconds < cursor.epoch || (e.epochSeconds == cursor.epoch && e.position < cursor.position))
            }
            return false
        }
        entries.sort { ($0.epochSeconds, $0.position) > ($1.epochSeconds, $1.position) }
        return Array(entries.prefix(limit))
    }
}

extension ProfileQueries {
    /// A profile's events, newest first, one page, read from the log.
    public func timeline(
        _ profile: String, limit: Int, type: String? = nil, before: TimelineCursor? = nil, in log: some EventLogReading
    ) throws -> [TimelineEntry] {
        let page = try reading { try $0.timelinePage(of: profile, limit: limit, type: type, before: before) }
        let events = try log.events(at: page.map(\.position))
        return try page.map { entry in
            guard let e = events[entry.position] else {
                throw ProjectionError(
                    .needsRebuild,
                    "the projection lists an event at log position \(entry.position), but the log ends at \(log.endPosition): "
                        + "the log lost events")
            }
            return TimelineEntry(
                position: e.position, eventID: e.eventID, type: e.type.rawValue, name: e.name, source: e.source,
                occurredAt: e.occurredAt.description)
        }
    }
}
