import KithCore

/// Writes one person's events into the channel files, injecting known defects and duplicates.
struct EventWriter {
    var rng: SplitMix64
    let defectRate: Double
    let duplicateRate: Double
    var sequence = 0

    init(rng: SplitMix64, defectRate: Double, duplicateRate: Double) {
        self.rng = rng
        self.defectRate = defectRate
        self.duplicateRate = duplicateRate
    }

    mutating func nextID(_ prefix: String) -> String {
        sequence += 1
        return prefix + String(sequence)
    }

    mutating func instant() -> Int { Generator.start + rng.int(0..<Generator.span) }

    /// Civil fields of an instant in UTC+8.
    static func local(_ t: Int) -> (y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int) {
        let l = t + 8 * 3600
        let (y, m, d) = Timestamp.civilFromDays(Int64(l / 86_400))
        let secs = l % 86_400
        return (y, m, d, secs / 3600, secs / 60 % 60, secs % 60)
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func rfc3339(_ t: Int) -> String {
        let c = local(t)
        return "\(c.y)-\(two(c.mo))-\(two(c.d))T\(two(c.h)):\(two(c.mi)):\(two(c.s))+08:00"
    }

    mutating func amount() -> String {
        let yuan = rng.pick([9, 19, 29, 39, 59, 79, 99, 129, 158, 199, 299, 399, 599, 899, 1299, 2999])
        let cents = rng.pick([0, 0, 0, 50, 90, 99])
        return "\(yuan).\(EventWriter.two(cents))"
    }

    static func ids(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
    }

    static func event(
        id: String, source: String, type: String, name: String, at: String, identifiers: String,
        traits: String? = nil, properties: String? = nil
    ) -> String {
        var s = "{\"event_id\":\"\(id)\",\"source\":\"\(source)\",\"type\":\"\(type)\",\"name\":\"\(name)\","
        s += "\"occurred_at\":\"\(at)\",\"identifiers\":\(identifiers)"
        if let traits { s += ",\"traits\":\(traits)" }
        if let properties { s += ",\"properties\":\(properties)" }
        return s + "}"
    }

    /// Writes an NDJSON event, or (at the defect rate) a broken variant of it.
    mutating func ndjson(_ file: ChannelFile, _ line: String, isOrder: Bool, binding: Bool = false) {
        // A binding event (the first of a channel, which ties its ids to the person) is never broken.
        guard !binding && rng.chance(defectRate) else {
            file.good(line, rng: &rng, duplicateRate: duplicateRate)
            return
        }
        switch rng.int(0..<(isOrder ? 6 : 5)) {
        case 0: file.bad(String(line.prefix(line.count / 2)), kind: "malformed_json")
        case 1:
            file.bad(
                line.replacingOccurrences(
                    of: "\"occurred_at\":\"2", with: "\"occurred_at\":\"2026-13-01T10:00:00+08:00\",\"x\":\"2"),
                kind: "schema_violation")
        case 2: file.bad(line.replacingOccurrences(of: "\"type\":\"", with: "\"type\":\"x"), kind: "unknown_type")
        case 3:
            let broken = line.replacingOccurrences(
                of: #""identifiers":\{[^}]*\}"#, with: #""identifiers":{"phone":"12345"}"#, options: .regularExpression)
            file.bad(broken, kind: "bad_identifier")
        case 4:
            let broken = line.replacingOccurrences(
                of: #""occurred_at":"[^"]*""#, with: #""occurred_at":"2026-13-01T10:15:00+08:00""#,
                options: .regularExpression)
            file.bad(broken, kind: "bad_timestamp")
        default:
            let broken = line.replacingOccurrences(
                of: #""amount":("[^"]*"|[0-9.]+)"#, with: #""amount":"12.3.4""#, options: .regularExpression)
            file.bad(broken, kind: "bad_amount")
        }
    }

    mutating func write(
        _ p: GeneratedPerson, app: ChannelFile, mini: ChannelFile, web: ChannelFile, service: ChannelFile,
        pos: ChannelFile, tmall: ChannelFile, survey: ChannelFile
    ) {
        let behaviours = ["app_open", "product_view", "product_view", "add_to_cart", "search"]
        var boundDevices = 0
        for n in 0..<max(1, rng.count(mean: 4)) {
            // Everyone opened the app once; the first session on each device logs in, binding the
            // device to the member and phone.
            let device = n == 0 ? 0 : rng.int(0..<p.devices.count)
            let login = device >= boundDevices
            boundDevices = max(boundDevices, device + 1)
            var ids: [(String, String)] = [("device_id", p.devices[device])]
            if let m = p.memberID, login || rng.chance(0.5) { ids.append(("member_id", m)) }
            var partial = false
            if let phone = p.phones.first, login || rng.chance(0.2) {
                if !login && ids.count > 1 && rng.chance(defectRate * 5) {
                    ids.append(("phone", "1380013"))  // implausible; the event still lands
                    partial = true
                } else {
                    ids.append(("phone", GeneratedPerson.messy(phone, rng: &rng)))
                }
            }
            let name = rng.pick(behaviours)
            let props = name == "search" ? "{\"query\":\"连衣裙\"}" : "{\"sku\":\"SKU\(rng.int(1000..<9999))\"}"
            let line = EventWriter.event(
                id: nextID("a"), source: "app", type: "behaviour", name: name, at: EventWriter.rfc3339(instant()),
                identifiers: EventWriter.ids(ids), properties: props)
            if partial {
                app.good(line, rng: &rng, duplicateRate: 0, remember: false)
                app.truth.rejectedIdentifiers["phone", default: 0] += 1
            } else {
                ndjson(app, line, isOrder: false, binding: login)
            }
        }
        for _ in 0..<rng.count(mean: 0.6) {
            var ids: [(String, String)] = []
            if let m = p.memberID { ids.append(("member_id", m)) }
            if let phone = p.phones.first, ids.isEmpty || rng.chance(0.3) {
                ids.append(("phone", GeneratedPerson.messy(phone, rng: &rng)))
            }
            if ids.isEmpty { ids.append(("device_id", p.devices[0])) }
            let name = rng.chance(0.92) ? "order_completed" : "refund"
            let amount = amount()
            let amountJSON = rng.chance(0.5) ? "\"\(amount)\"" : amount
            let line = EventWriter.event(
                id: nextID("o"), source: "app", type: "transaction", name: name, at: EventWriter.rfc3339(instant()),
                identifiers: EventWriter.ids(ids), traits: "{\"name\":\"\(p.name)\",\"city\":\"\(p.city)\"}",
                properties: "{\"order_id\":\"APP\(sequence)\",\"amount\":\(amountJSON),\"currency\":\"CNY\"}")
            ndjson(app, line, isOrder: true)
        }
        if let union = p.unionID, let open = p.openID {
            for n in 0..<rng.count(mean: 3) {
                var ids = [("wechat_unionid", union), ("wechat_openid", open)]
                // The first visit binds the phone (or, without one, the member card).
                if let phone = p.phones.first, n == 0 || rng.chance(0.3) {
                    ids.append(("phone", GeneratedPerson.messy(phone, rng: &rng)))
                } else if n == 0, let m = p.memberID {
                    ids.append(("member_id", m))
                }
                let name = rng.chance(0.2) ? "coupon_claimed" : "page_view"
                let line = EventWriter.event(
                    id: nextID("m"), source: "miniprogram", type: "behaviour", name: name,
                    at: EventWriter.rfc3339(instant()), identifiers: EventWriter.ids(ids),
                    properties: "{\"url\":\"/pages/item?id=\(rng.int(1..<500))\"}")
                ndjson(mini, line, isOrder: false, binding: n == 0)
            }
        }
        // Everyone with an email signed up on the web shop.
        for n in 0..<max(p.email == nil ? 0 : 1, rng.count(mean: 2)) {
            var ids = [("device_id", n == 0 ? p.devices[p.devices.count - 1] : rng.pick(p.devices))]
            if let email = p.email, n == 0 || rng.chance(0.5) {
                ids.append(("email", GeneratedPerson.messyEmail(email, rng: &rng)))
            }
            // Signing in on the web shop shows the member id (or the phone).
            if n == 0, let m = p.memberID {
                ids.append(("member_id", m))
            } else if n == 0, let phone = p.phones.first {
                ids.append(("phone", GeneratedPerson.messy(phone, rng: &rng)))
            }
            let line = EventWriter.event(
                id: nextID("w"), source: "web", type: "behaviour", name: "page_view",
                at: EventWriter.rfc3339(instant()),
                identifiers: EventWriter.ids(ids),
                properties: "{\"url\":\"https://shop.example.com/p/\(rng.int(1..<900))\"}")
            ndjson(web, line, isOrder: false, binding: n == 0)
        }
        if let phone = p.phones.first {
            for _ in 0..<rng.count(mean: 0.6) {
                let ids = EventWriter.ids([("phone", GeneratedPerson.messy(phone, rng: &rng))])
                let at = EventWriter.rfc3339(instant())
                let roll = rng.int(0..<10)
                let line: String
                if roll == 0 {
                    line = EventWriter.event(
                        id: nextID("s"), source: "service", type: "feedback", name: "complaint", at: at,
                        identifiers: ids, properties: "{\"topic\":\"delivery\",\"text\":\"快递太慢\"}")
                } else if roll == 1 {
                    line = EventWriter.event(
                        id: nextID("s"), source: "service", type: "feedback", name: "rating", at: at, identifiers: ids,
                        properties: "{\"score\":\(rng.int(1..<6))}")
                } else {
                    line = EventWriter.event(
                        id: nextID("s"), source: "service", type: "interaction",
                        name: rng.pick(["chat", "call", "ticket_opened", "ticket_closed"]), at: at, identifiers: ids,
                        properties: "{\"agent_id\":\"A\(rng.int(1..<40))\",\"duration_s\":\(rng.int(30..<900))}")
                }
                ndjson(service, line, isOrder: false)
            }
        }
        writePOS(p, pos)
        writeTmall(p, tmall)
        writeSurvey(p, survey)
    }
}
