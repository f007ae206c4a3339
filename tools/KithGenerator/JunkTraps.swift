/// Generic e-mail addresses that several unrelated customers typed: the junk that joins
/// strangers when nothing stops it. Each trap is shared by 2 to 7 people, so no volume guard
/// sees it; what gives it away is its shape (`pattern` traps, which the standard never-link
/// patterns catch) or the evidence on its events (`evidence` traps: an address no pattern
/// catches, typed by a service agent on tickets that carry each customer's own name).
struct JunkTraps {
    enum Kind: String, Codable { case pattern, evidence }

    /// One trap value and the people who typed it (written to `truth/junk.json`).
    struct Trap: Codable {
        var kind: String = "email"
        var value: String
        var trap: Kind
        var persons: [String]
    }

    /// Who typed a junk address, kept while the people are generated.
    struct Typist {
        var id: String
        var name: String
        var device: String
        var memberID: String?
        var phone: String?
    }

    var rng: SplitMix64
    let rate: Double
    private(set) var typists: [Typist] = []

    init(seed: UInt64, rate: Double) {
        rng = SplitMix64(seed: seed ^ 0x6A75_6E6B)  // its own stream: the people's events do not change
        self.rate = rate
    }

    mutating func consider(_ p: GeneratedPerson) {
        guard rng.chance(rate) else { return }
        typists.append(
            Typist(id: p.id, name: p.name, device: p.devices[0], memberID: p.memberID, phone: p.phones.first))
    }

    /// Writes every trap's events: sign-ups on the web shop for pattern traps, service tickets
    /// with the customer's name for evidence traps.
    mutating func write(web: ChannelFile, service: ChannelFile, writer: inout EventWriter) -> [Trap] {
        var people = typists
        for i in people.indices.reversed() where i > 0 { people.swapAt(i, rng.int(0..<(i + 1))) }
        var traps: [Trap] = []
        var next = 0
        while people.count - next >= 2 {
            let size = min(people.count - next, 2 + rng.int(0..<6))
            let group = people[next..<(next + size)]
            next += size
            let kind: Kind = traps.count % 3 == 2 ? .evidence : .pattern
            let value =
                kind == .pattern
                ? JunkTraps.patternValue(traps.count / 3 * 2 + traps.count % 3)
                : JunkTraps.evidenceValue(traps.count / 3)
            for p in group {
                var ids: [(String, String)] = []
                if let m = p.memberID {
                    ids.append(("member_id", m))
                } else if let phone = p.phone {
                    ids.append(("phone", phone))
                }
                ids.append(("email", value))
                let at = EventWriter.rfc3339(writer.instant())
                if kind == .pattern {
                    ids.insert(("device_id", p.device), at: 0)
                    web.good(
                        EventWriter.event(
                            id: writer.nextID("j"), source: "web", type: "behaviour", name: "page_view", at: at,
                            identifiers: EventWriter.ids(ids),
                            properties: "{\"url\":\"https://shop.example.com/signup\"}"),
                        rng: &rng, duplicateRate: 0, remember: false)
                } else {
                    service.good(
                        EventWriter.event(
                            id: writer.nextID("j"), source: "service", type: "interaction", name: "ticket_opened",
                            at: at,
                            identifiers: EventWriter.ids(ids), traits: "{\"name\":\"\(p.name)\"}",
                            properties: "{\"agent_id\":\"A7\",\"topic\":\"delivery\"}"),
                        rng: &rng, duplicateRate: 0, remember: false)
                }
            }
            traps.append(Trap(value: value, trap: kind, persons: group.map(\.id)))
        }
        return traps
    }

    static let domains = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com"]

    /// The n-th junk address of a shape the standard patterns name (all different).
    static func patternValue(_ n: Int) -> String {
        let domain = domains[n / 5 % domains.count]
        let j = n / 5 / domains.count
        switch n % 5 {
        case 0:  // a digit run: 123456, 2345678, …
            let start = 1 + j % 9
            let length = 6 + j / 9 % 4
            return String((0..<length).map { Character(String((start + $0) % 10)) }) + "@" + domain
        case 1:  // one repeated character
            let chars = Array("1234567890abcdefghijklmnopqrstuvwxyz")
            return String(repeating: chars[j % chars.count], count: 4 + j / chars.count % 6) + "@" + domain
        case 2:  // a role or placeholder mailbox
            let locals = [
                "noreply", "no-reply", "donotreply", "test", "none", "null", "unknown", "nobody", "noemail", "guest",
            ]
            return j < locals.count ? locals[j] + "@" + domain : "noreply-\(j)@" + domain
        case 3:  // one character at a one-character label
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            return "\(letters[j % 26])@\(letters[j / 26 % 26]).com"
        default:  // a reserved domain
            return "customer\(n)@example.com"
        }
    }

    /// The n-th generic address no pattern names: a shop's own service mailbox.
    static func evidenceValue(_ n: Int) -> String { "service.store\(n)@" + domains[n % domains.count] }
}
