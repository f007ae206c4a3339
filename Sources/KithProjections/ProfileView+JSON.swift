import KithCore

/// The view as JSON bytes without `JSONEncoder`: a profile lookup is the API's hot route, and
/// Foundation's encoder took as much of its CPU time as the SQLite reads. Same members and
/// values as the `Codable` form (tested against it); keys in byte order, nil members left out.
extension ProfileView {
    public func jsonBytes() -> [UInt8] {
        var w = ObjectWriter()
        w.out.reserveCapacity(2_048)
        w.open()
        w.key("identifiers")
        w.object(identifiers) { w, values in
            w.array(values) { w, v in
                w.open()
                w.key("events"); w.int(v.events)
                if let s = v.firstSeen { w.key("first_seen"); w.string(s) }
                if let s = v.lastSeen { w.key("last_seen"); w.string(s) }
                w.key("sources"); w.array(v.sources) { $0.string($1) }
                w.key("value"); w.string(v.value)
                w.close()
            }
        }
        if let note { w.key("note"); w.string(note) }
        w.key("profile_id"); w.string(profileID)
        if let requested { w.key("requested"); w.string(requested) }
        if let rfm {
            w.key("rfm")
            w.open()
            w.key("as_of"); w.string(rfm.asOf)
            if let n = rfm.fScore { w.key("f_score"); w.int(n) }
            w.key("frequency"); w.int(rfm.frequency)
            if let n = rfm.mScore { w.key("m_score"); w.int(n) }
            w.key("monetary"); w.string(rfm.monetary)
            if let n = rfm.rScore { w.key("r_score"); w.int(n) }
            if let n = rfm.recencyDays { w.key("recency_days"); w.int(n) }
            if let s = rfm.segment { w.key("segment"); w.string(s.key) }
            w.key("stage"); w.string(rfm.stage.key)
            w.close()
        }
        w.key("stats")
        w.open()
        if let s = stats.averageNPS { w.key("average_nps"); w.string(s) }
        w.key("average_order_value"); w.object(stats.averageOrderValue) { $0.string($1) }
        if let s = stats.averageRating { w.key("average_rating"); w.string(s) }
        w.key("by_name"); w.object(stats.byName) { $0.int($1) }
        w.key("by_source"); w.object(stats.bySource) { $0.int($1) }
        w.key("by_type"); w.object(stats.byType) { $0.int($1) }
        w.key("channels"); w.array(stats.channels) { $0.string($1) }
        w.key("complaints"); w.int(stats.complaints)
        w.key("events"); w.int(stats.events)
        if let s = stats.firstSeen { w.key("first_seen"); w.string(s) }
        if let s = stats.lastOrder { w.key("last_order"); w.string(s) }
        if let s = stats.lastSeen { w.key("last_seen"); w.string(s) }
        if let n = stats.latestNPS { w.key("latest_nps"); w.int(n) }
        if let n = stats.latestRating { w.key("latest_rating"); w.int(n) }
        w.key("net_spend"); w.object(stats.netSpend) { $0.string($1) }
        w.key("orders"); w.int(stats.orders)
        w.key("refunds"); w.int(stats.refunds)
        w.close()
        w.key("status"); w.string(status)
        w.key("traits")
        w.object(traits) { w, t in
            w.open()
            if let alternatives = t.alternatives { w.key("alternatives"); w.object(alternatives) { $0.int($1) } }
            w.key("at"); w.string(t.at)
            w.key("rule"); w.string(t.rule)
            w.key("source"); w.string(t.source)
            w.key("value"); w.string(t.value)
            w.close()
        }
        w.close()
        return w.out
    }
}

/// Writes JSON objects and arrays, placing commas; callers give keys in byte order.
private struct ObjectWriter {
    var out: [UInt8] = []
    private var first = true

    mutating func open() {
        out.append(UInt8(ascii: "{"))
        first = true
    }

    mutating func close() {
        out.append(UInt8(ascii: "}"))
        first = false
    }

    mutating func key(_ key: StaticString) {
        if !first { out.append(UInt8(ascii: ",")) }
        first = false
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func string(_ s: String) { JSONWriter.appendString(s, to: &out) }

    mutating func int(_ n: Int) { out.append(contentsOf: String(n).utf8) }

    mutating func array<T>(_ items: [T], _ element: (inout ObjectWriter, T) -> Void) {
        out.append(UInt8(ascii: "["))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            element(&self, item)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A dictionary as an object, keys in byte order.
    mutating func object<T>(_ members: [String: T], _ value: (inout ObjectWriter, T) -> Void) {
        out.append(UInt8(ascii: "{"))
        for (i, (key, member)) in members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
            .enumerated()
        {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            value(&self, member)
        }
        out.append(UInt8(ascii: "}"))
        first = false
    }
}
