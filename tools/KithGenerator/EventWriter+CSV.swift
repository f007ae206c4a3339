extension EventWriter {
    static func csvField(_ s: String) -> String {
        if s.contains(",") || s.contains("\"") || s.contains("\n") {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    static func csvRow(_ fields: [String]) -> String { fields.map(csvField).joined(separator: ",") }

    static let stores = ["SH01", "SH02", "BJ01", "GZ01", "SZ03", "HZ01"]
    /// Each store's own landline, which cashiers sometimes type instead of the customer's phone.
    /// Not on any blocklist: only the shared-value guard can keep it from joining customers.
    static let storePhones = [
        "021-5555 0101", "021-5555 0202", "010-6666 0303", "020-8888 0404", "0755-2222 0505", "0571-3333 0606",
    ]

    mutating func writePOS(_ p: GeneratedPerson, _ pos: ChannelFile) {
        guard p.memberID != nil || !p.phones.isEmpty else { return }
        for n in 0..<rng.count(mean: 1.2) {
            let c = EventWriter.local(instant())
            var time =
                "\(c.y)/\(EventWriter.two(c.mo))/\(EventWriter.two(c.d)) \(EventWriter.two(c.h)):\(EventWriter.two(c.mi))"
            // Joining the membership at the till records card and phone together.
            let member = p.memberID.flatMap { n == 0 || rng.chance(0.8) ? $0 : nil } ?? ""
            var phone = ""
            if let first = p.phones.first, n == 0 || rng.chance(0.7) || member.isEmpty {
                phone = GeneratedPerson.messy(first, rng: &rng)
            }
            let memberCell = member.isEmpty && phone.isEmpty ? (p.memberID ?? "") : member
            let kindRoll = n == 0 ? 0 : rng.int(0..<100)
            let kind = kindRoll < 90 ? "销售" : (kindRoll < 97 ? "退货" : "作废")
            var amount = amount()
            var defect: String?
            if n > 0 && kind != "作废" && rng.chance(defectRate * 3) {
                switch rng.int(0..<3) {
                case 0:
                    time = "\(c.y)/13/\(EventWriter.two(c.d)) 10:15"
                    defect = "bad_timestamp"
                case 1:
                    amount = "12..50"
                    defect = "bad_amount"
                default:
                    phone = "12345"
                    defect = "bad_identifier"
                }
            }
            let storeIndex = rng.int(0..<EventWriter.stores.count)
            let store = EventWriter.stores[storeIndex]
            if n > 0, !member.isEmpty, defect == nil, rng.chance(0.08) {
                phone = EventWriter.storePhones[storeIndex]
            }
            let receipt = nextID("R")
            let row = EventWriter.csvRow([
                receipt, store, kind, time, defect == "bad_identifier" ? "" : memberCell, phone, p.name, amount,
            ])
            if kind == "作废" {
                pos.skipped(row)
            } else if let defect {
                pos.bad(row, kind: defect)
            } else {
                pos.good(row, rng: &rng, duplicateRate: duplicateRate)
            }
        }
    }

    mutating func anonymousSale(_ n: Int, pos: ChannelFile) {
        let c = EventWriter.local(instant())
        let time =
            "\(c.y)/\(EventWriter.two(c.mo))/\(EventWriter.two(c.d)) \(EventWriter.two(c.h)):\(EventWriter.two(c.mi))"
        let row = EventWriter.csvRow([
            nextID("R"), rng.pick(EventWriter.stores), "销售", time, "", rng.pick(Generator.placeholderPhones), "",
            amount(),
        ])
        pos.good(row, rng: &rng, duplicateRate: 0)
    }

    mutating func writeTmall(_ p: GeneratedPerson, _ tmall: ChannelFile) {
        guard let nick = p.tmallNick else { return }
        for n in 0..<rng.count(mean: 1) {
            let c = EventWriter.local(instant())
            let time =
                "\(c.y)-\(EventWriter.two(c.mo))-\(EventWriter.two(c.d)) \(EventWriter.two(c.h)):\(EventWriter.two(c.mi)):\(EventWriter.two(c.s))"
            let roll = n == 0 ? 0 : rng.int(0..<100)
            let status = roll < 85 ? "交易成功" : (roll < 95 ? "交易关闭" : "退款成功")
            // Every Tmall buyer has a delivery phone; the first order always shows it.
            let phone =
                p.phones.first.flatMap { n == 0 || rng.chance(0.6) ? GeneratedPerson.messy($0, rng: &rng) : nil } ?? ""
            var amount = amount()
            let bad = n > 0 && status != "交易关闭" && rng.chance(defectRate * 2)
            if bad { amount = "-\(amount)" }
            let row = EventWriter.csvRow([
                "T" + String(4_000_000_000 + sequence * 13), nick, p.name, p.city, phone, amount, status, time,
            ])
            sequence += 1
            if status == "交易关闭" {
                tmall.skipped(row)
            } else if bad {
                tmall.bad(row, kind: "bad_amount")
            } else {
                tmall.good(row, rng: &rng, duplicateRate: duplicateRate)
            }
        }
    }

    mutating func writeSurvey(_ p: GeneratedPerson, _ survey: ChannelFile) {
        guard rng.chance(0.1), p.email != nil || !p.phones.isEmpty else { return }
        let c = EventWriter.local(instant())
        let time = "\(c.y)/\(c.mo)/\(c.d) \(c.h):\(EventWriter.two(c.mi))"
        let phone = p.phones.first.map { GeneratedPerson.messy($0, rng: &rng) } ?? ""
        let email = p.email.map { GeneratedPerson.messyEmail($0, rng: &rng) } ?? ""
        let bad = rng.chance(defectRate * 3)
        let score = bad ? 11 : rng.int(0..<11)
        let text = rng.pick(["", "很满意", "物流慢，包装\"一般\"", "客服态度好\n会再买"])
        let row = EventWriter.csvRow([nextID("S"), time, phone, email, String(score), text])
        if bad {
            survey.bad(row, kind: "schema_violation")
        } else {
            survey.good(row, rng: &rng, duplicateRate: duplicateRate)
        }
    }
}
