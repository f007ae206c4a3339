/// One synthetic customer and the identifier values that truly belong to them (normalised).
struct GeneratedPerson {
    var id: String
    var name: String
    var city: String
    var phones: [String]  // normalised +86…
    var email: String?
    var memberID: String?
    var unionID: String?
    var openID: String?
    var devices: [String]
    var tmallNick: String?

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
    static let givenNames = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华")
    static let cities = ["上海", "北京", "广州", "深圳", "杭州", "成都", "南京", "武汉", "西安", "苏州"]
    static let mailDomains = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com"]
    static let pinyin = ["li", "wang", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu"]

    init(index: Int, rng: inout SplitMix64) {
        id = "P" + String(index)
        name =
            String(rng.pick(GeneratedPerson.surnames)) + String(rng.pick(GeneratedPerson.givenNames))
            + (rng.chance(0.5) ? String(rng.pick(GeneratedPerson.givenNames)) : "")
        city = rng.pick(GeneratedPerson.cities)
        // Unique by construction: the person index is part of the number.
        let prefixes = ["138", "139", "150", "151", "186", "187", "135", "177", "199", "158"]
        func phone(_ salt: Int) -> String {
            let n = (index * 7 + salt * 3_000_017) % 100_000_000
            let digits = String(n)
            return "+86" + prefixes[(index + salt) % prefixes.count] + String(repeating: "0", count: 8 - digits.count)
                + digits
        }
        phones = rng.chance(0.92) ? [phone(0)] : []
        if rng.chance(0.08) { phones.append(phone(1)) }
        if rng.chance(0.6) {
            let local = rng.pick(GeneratedPerson.pinyin) + "." + String(index)
            let domain = rng.pick(GeneratedPerson.mailDomains)
            // Half the QQ mail is the QQ number itself: real all-digit addresses, which no junk
            // pattern may block unless it is a run or a repetition itself (counted in the truth).
            let qq = domain == "qq.com" && index % 2 == 0
            email = (qq ? String(1 + index % 9) + String(100_000 + index) : local) + "@" + domain
        }
        if rng.chance(0.7) { memberID = "M" + String(100_000 + index) }
        if rng.chance(0.5) {
            unionID = "oU" + String(index, radix: 36) + "x" + String(rng.next() % 1_000_000, radix: 36)
            openID = "oP" + String(index, radix: 36) + "y" + String(rng.next() % 1_000_000, radix: 36)
        }
        devices = ["dev-" + String(index, radix: 16) + "-" + String(rng.next() % 65536, radix: 16)]
        if rng.chance(0.2) {
            devices.append("dev-" + String(index, radix: 16) + "-b" + String(rng.next() % 4096, radix: 16))
        }
        if rng.chance(0.4) && !phones.isEmpty { tmallNick = "tb" + String(index * 31 + 7, radix: 36) }
        // Everyone can be recognised: a phone or a member card (the channels bind to these).
        if phones.isEmpty && memberID == nil { memberID = "M" + String(100_000 + index) }
    }

    var truthIdentifiers: [String: [String]] {
        var ids: [String: [String]] = [:]
        if !phones.isEmpty { ids["phone"] = phones }
        if let email { ids["email"] = [email] }
        if let memberID { ids["member_id"] = [memberID] }
        if let unionID { ids["wechat_unionid"] = [unionID] }
        if let openID { ids["wechat_openid"] = [openID] }
        ids["device_id"] = devices
        if let tmallNick { ids["customer_id"] = [tmallNick] }
        return ids
    }

    /// A phone written the way some channel writes it.
    static func messy(_ phone: String, rng: inout SplitMix64) -> String {
        let national = String(phone.dropFirst(3))
        let a = national.prefix(3)
        let b = national.dropFirst(3).prefix(4)
        let c = national.suffix(4)
        switch rng.int(0..<7) {
        case 0: return national
        case 1: return "\(a) \(b) \(c)"
        case 2: return "+86 \(a)-\(b)-\(c)"
        case 3: return "0086 \(national)"
        case 4: return "86-\(national)"
        case 5: return "(+86)\(a).\(b).\(c)"
        default: return " \(national) "
        }
    }

    static func messyEmail(_ email: String, rng: inout SplitMix64) -> String {
        switch rng.int(0..<3) {
        case 0: return email
        case 1: return " " + email.uppercased()
        default: return email.prefix(1).uppercased() + email.dropFirst() + " "
        }
    }
}
