import Foundation
import KithCore
import KithDirectory
import KithTestSupport
import Testing

extension LoopbackServer {
    /// Issue 15's probe: a `profiles:read` key reads every route against a customer whose events
    /// carry personal and sensitive traits under English and Chinese keys, an order number with
    /// their phone in it, and finds none of it in clear. `pii:read` sees the personal part, and
    /// only `sensitive:read` the sensitive part.
    @Suite struct PersonalDataProbeTests {
        static let phone = "13987650001"
        static let email = "probe.person@163.com"
        static let eventID = "order-13987650001-0001"
        /// Trait key → value, with the class the standard classification gives it.
        static let traits: [(key: String, value: String, dataClass: DataClass)] = [
            ("mobile", "13987650002", .personal),
            ("email", "probe.other@163.com", .personal),
            ("home_address", "上海市徐汇区漕溪北路88号", .personal),
            ("姓名", "王小明", .personal),
            ("wechat", "wxid_probe77", .personal),
            ("dob", "1990-03-07", .personal),
            ("身份证号", "110101199003077777", .sensitive),
            ("id_no", "310101198001011234", .sensitive),
            ("bank_card", "6222020200112233445", .sensitive),
            ("health", "gestational diabetes", .sensitive),
            ("city", "上海", .notPersonal),
        ]

        static var personalValues: [String] {
            [phone, email, eventID, "probe.person"] + traits.filter { $0.dataClass == .personal }.map(\.value)
        }
        static var sensitiveValues: [String] { traits.filter { $0.dataClass == .sensitive }.map(\.value) }

        func seeded() async throws -> (ServerFixture, profileID: String) {
            let f = try await sharedServer.value
            let traitsJSON = Self.traits.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
            let line =
                #"{"event_id":"\#(Self.eventID)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-11-05T10:00:00+08:00","identifiers":{"phone":"\#(Self.phone)","email":"\#(Self.email)"},"traits":{\#(traitsJSON)}}"#
            let posted = try await f.request("POST", "/v1/events", key: f.writer, body: Data((line + "\n").utf8))
            #expect(posted.status == 200)
            let found = try await f.request("/v1/profiles?identifier=phone:\(Self.phone)", key: f.admin)
            return (f, try #require(found.json["profile_id"] as? String))
        }

        /// Every string in a JSON body (keys and values), and the body as text.
        func texts(_ reply: ServerFixture.Reply) -> [String] {
            var out = [reply.text]
            func walk(_ value: Any) {
                switch value {
                case let s as String: out.append(s)
                case let a as [Any]: a.forEach(walk)
                case let d as [String: Any]:
                    for (k, v) in d {
                        out.append(k)
                        walk(v)
                    }
                default: break
                }
            }
            if let json = try? JSONSerialization.jsonObject(with: reply.body, options: [.fragmentsAllowed]) {
                walk(json)
            }
            return out
        }

        func everyRoute(_ f: ServerFixture, _ id: String, key: String) async throws -> [String: ServerFixture.Reply] {
            var replies: [String: ServerFixture.Reply] = [:]
            let paths = [
                "/v1/profiles?identifier=phone:\(Self.phone)", "/v1/profiles?identifier=email:\(Self.email)",
                "/v1/profiles/\(id)", "/v1/profiles/\(id)/timeline", "/v1/profiles/\(id)/timeline?type=behaviour",
                "/v1/profiles/\(id)/explain", "/v1/segments", "/v1/rfm/summary", "/v1/status", "/healthz", "/metrics",
                "/",
            ]
            for path in paths { replies[path] = try await f.request(path, key: key) }
            for key in Segment.allCases.map(\.key) + LifecycleStage.allCases.map(\.key) {
                let path = "/v1/segments/\(key)/profiles?limit=1000"
                replies[path] = try await f.request(path, key: key)
            }
            return replies
        }

        @Test func aProfilesReadKeySeesNothingPersonalOnAnyRoute() async throws {
            let (f, id) = try await seeded()
            for (path, reply) in try await everyRoute(f, id, key: f.reader) {
                #expect(reply.status < 500, "\(path): \(reply.status)")
                #expect(reply.headers["cache-control"] == "no-store", "\(path) may be cached")
                let all = texts(reply)
                for secret in Self.personalValues + Self.sensitiveValues {
                    #expect(!all.contains { $0.contains(secret) }, "\(path) shows \(secret) to a profiles:read key")
                }
            }
            // What it does see: masked values, the not-personal trait, and event ids as keyed hashes.
            let profile = try await f.request("/v1/profiles/\(id)", key: f.reader)
            let traits = try #require(profile.json["traits"] as? [String: [String: Any]])
            #expect(traits["city"]?["value"] as? String == "上海")
            #expect(traits["姓名"]?["value"] as? String == "王**")
            #expect(traits["身份证号"]?["value"] as? String == Disclosure.sensitivePlaceholder)
            let timeline = try await f.request("/v1/profiles/\(id)/timeline", key: f.reader)
            let shown = try #require((timeline.json["items"] as? [[String: Any]])?.first?["event_id"] as? String)
            #expect(shown.wholeMatch(of: /e[0-9a-f]{16}/) != nil, "event id shown as \(shown)")
            let again = try await f.request("/v1/profiles/\(id)/timeline", key: f.reader)
            #expect(
                (again.json["items"] as? [[String: Any]])?.first?["event_id"] as? String == shown,
                "masked ids are stable")
        }

        @Test func piiReadSeesPersonalButNotSensitiveData() async throws {
            let (f, id) = try await seeded()
            let profile = try await f.request("/v1/profiles/\(id)", key: f.privileged)
            for value in [Self.phone, Self.email] + Self.traits.filter({ $0.dataClass == .personal }).map(\.value) {
                #expect(profile.text.contains(value), "pii:read should see \(value)")
            }
            for value in Self.sensitiveValues {
                #expect(!profile.text.contains(value), "pii:read sees sensitive \(value)")
            }
            let timeline = try await f.request("/v1/profiles/\(id)/timeline", key: f.privileged)
            #expect(timeline.text.contains(Self.eventID))

            let sensitive = try KeyStore(f.directory).create(
                name: "probe-sensitive-\(UUID().uuidString.prefix(6))", scopes: [.profilesRead, .sensitiveRead])
            let full = try await f.request("/v1/profiles/\(id)", key: sensitive.secret)
            for value in Self.sensitiveValues + [Self.phone] {
                #expect(full.text.contains(value), "sensitive:read should see \(value)")
            }
            // Both unmasked reads were audited, naming the key.
            let records = try AuditLog(f.directory).verify().records
            #expect(records.contains { $0.keyID == sensitive.key.id && $0.profile == id })
        }

        @Test func aRulesFileClassifiesUnknownTraits() {
            var rules = Rules.standard
            rules.classification = Classification.standard.overridden(
                by: Classification(traits: ["loyalty_note": .notPersonal, "Passport_No": .sensitive]))
            let reader = Disclosure(clearUpTo: .notPersonal, classes: rules.dataClasses, eventIDKey: [7])
            let staff = Disclosure(clearUpTo: .personal, classes: rules.dataClasses, eventIDKey: [7])
            #expect(reader.trait("loyalty_note", "gold since 2019") == "gold since 2019")
            #expect(reader.trait("never_classified", "something personal") != "something personal")
            #expect(staff.trait("passport_no", "E12345678") == Disclosure.sensitivePlaceholder)
            #expect(staff.trait("never_classified", "something personal") == "something personal")
        }
    }
}
