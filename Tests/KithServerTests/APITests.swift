import Foundation
import GRDB
import KithCore
import KithDirectory
import KithIngest
import KithLog
import KithProjections
import KithTestSupport
import Testing

/// The API over real HTTP on loopback: every route, scope and masking rule, the audit log, and
/// each response checked against schemas/openapi.yaml.
/// Every suite that uses the shared server runs in one serial group: the tests post events, and
/// the browser test compares counts across requests.
@Suite(.serialized) enum LoopbackServer {}

extension LoopbackServer {
    @Suite struct APITests {
        func fixture() async throws -> ServerFixture { try await sharedServer.value }

        func store(_ f: ServerFixture) throws -> SQLiteProjectionStore {
            try SQLiteProjectionStore(path: f.directory.projections, readOnly: true)
        }

        /// A profile with a phone, an email and a name, as the store holds it unmasked.
        /// Profile ids are keyed with each run's own secret, so the choice must not follow id order:
        /// the one with the most events (then the smallest phone), the same in every run.
        func personWithContactDetails(_ f: ServerFixture) throws -> ProfileView {
            var found: ProfileView?
            func phone(_ v: ProfileView) -> String { v.identifiers["phone"]?.first?.value ?? "" }
            try store(f).forEachProfile(traitRules: Rules.standard.traits) { view in
                guard view.identifiers["phone"] != nil, view.identifiers["email"] != nil, view.traits["name"] != nil,
                    view.rfm?.segment != nil
                else { return }
                if let best = found,
                    (best.stats.events, phone(view)) >= (view.stats.events, phone(best))
                {
                    return
                }
                found = view
            }
            return try #require(found)
        }

        @Test func profileReadsAreMaskedWithoutPIIScope() async throws {
            let f = try await fixture()
            let truth = try personWithContactDetails(f)
            let phone = try #require(truth.identifiers["phone"]?.first?.value)
            let masked = try await f.request(
                "/v1/profiles/\(truth.profileID)", key: f.reader, route: "/v1/profiles/{id}")
            #expect(masked.status == 200)
            let body = masked.text
            for (kind, values) in truth.identifiers {
                for v in values {
                    #expect(!body.contains(v.value), "\(kind) value leaked unmasked")
                    #expect(body.contains(Masking.mask(v.value, kind: IdentifierKind(rawValue: kind))))
                }
            }
            let name = try #require(truth.traits["name"]?.value)
            #expect(!body.contains("\"\(name)\""))
            #expect(body.contains(Masking.maskName(name)))
            let phones = ((masked.json["identifiers"] as? [String: Any])?["phone"] as? [[String: Any]])?.compactMap {
                $0["value"] as? String
            }
            for p in phones ?? [] where p.hasPrefix("+86") {
                #expect(p.wholeMatch(of: try Regex(#"\+86 1[0-9]{2}\*{4}[0-9]{4}"#)) != nil, "phone shown as \(p)")
            }

            // The same read with pii:read shows the values as stored.
            let full = try await f.request(
                "/v1/profiles/\(truth.profileID)", key: f.privileged, route: "/v1/profiles/{id}")
            #expect(full.status == 200)
            #expect(full.text.contains(phone))
            #expect(full.text.contains(name))

            // Lookup by any spelling of the phone; masked again, and Location names the profile.
            let local = String(phone.dropFirst(3))
            let spelled = "\(local.prefix(3)) \(local.dropFirst(3).prefix(4)) \(local.suffix(4))"
            let lookup = try await f.request(
                "/v1/profiles?identifier=phone:\(spelled.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)",
                key: f.reader, route: "/v1/profiles")
            #expect(lookup.status == 200)
            #expect(lookup.json["profile_id"] as? String == truth.profileID)
            #expect(lookup.headers["location"] == "/v1/profiles/\(truth.profileID)")
            #expect(!lookup.text.contains(local))

            let explain = try await f.request(
                "/v1/profiles/\(truth.profileID)/explain", key: f.reader, route: "/v1/profiles/{id}/explain")
            #expect(explain.status == 200)
            #expect(!explain.text.contains(local))
            #expect(explain.text.contains(Masking.mask(phone, kind: .phone)))
            let explainFull = try await f.request(
                "/v1/profiles/\(truth.profileID)/explain", key: f.privileged, route: "/v1/profiles/{id}/explain")
            #expect(explainFull.text.contains(phone))
        }

        @Test func auditRecordsExactlyTheUnmaskedReads() async throws {
            let f = try await fixture()
            let truth = try personWithContactDetails(f)
            let phone = try #require(truth.identifiers["phone"]?.first?.value)
            let audit = try AuditLog(f.directory)
            let before = try audit.verify().records.count
            // Masked reads and reads without personal data leave no record.
            _ = try await f.request("/v1/profiles/\(truth.profileID)", key: f.reader)
            _ = try await f.request("/v1/profiles/\(truth.profileID)/explain", key: f.reader)
            _ = try await f.request("/v1/profiles/\(truth.profileID)/timeline", key: f.reader)
            _ = try await f.request("/v1/segments", key: f.privileged)
            _ = try await f.request("/v1/profiles/\(truth.profileID)", key: f.writer)
            _ = try await f.request("/v1/profiles/p0000000000000000", key: f.privileged)
            #expect(try audit.verify().records.count == before)
            // Each unmasked answer leaves exactly one record, naming key, route and profile (a
            // timeline shows event ids, which carry personal data, in clear to pii:read).
            _ = try await f.request("/v1/profiles/\(truth.profileID)", key: f.privileged)
            _ = try await f.request("/v1/profiles?identifier=phone:\(phone.dropFirst(3))", key: f.admin)
            _ = try await f.request("/v1/profiles/\(truth.profileID)/explain", key: f.privileged)
            _ = try await f.request("/v1/profiles/\(truth.profileID)/timeline", key: f.privileged)
            let listing = try audit.verify()
            let added = Array(listing.records.dropFirst(before))
            #expect(
                added.map(\.route) == [
                    "GET /v1/profiles/{id}", "GET /v1/profiles", "GET /v1/profiles/{id}/explain",
                    "GET /v1/profiles/{id}/timeline",
                ])
            #expect(added.map(\.key) == ["service-desk", "ops", "service-desk", "service-desk"])
            #expect(added.allSatisfy { $0.profile == truth.profileID && $0.status == 200 })
            #expect(listing.isIntact)
            // The log holds no personal data itself.
            let raw = try String(contentsOfFile: audit.file, encoding: .utf8)
            #expect(!raw.contains(String(phone.dropFirst(3))))
        }

        @Test func keysAndScopesGuardEveryRoute() async throws {
            let f = try await fixture()
            let routes: [(String, String, String)] = [
                ("GET", "/v1/profiles?identifier=phone:13800138000", "/v1/profiles"),
                ("GET", "/v1/profiles/p0000000000000000", "/v1/profiles/{id}"),
                ("GET", "/v1/profiles/p0000000000000000/timeline", "/v1/profiles/{id}/timeline"),
                ("GET", "/v1/profiles/p0000000000000000/explain", "/v1/profiles/{id}/explain"),
                ("GET", "/v1/segments", "/v1/segments"),
                ("GET", "/v1/segments/important_value/profiles", "/v1/segments/{key}/profiles"),
                ("GET", "/v1/rfm/summary", "/v1/rfm/summary"),
                ("GET", "/v1/status", "/v1/status"),
                ("POST", "/v1/events", "/v1/events"),
            ]
            for (method, path, route) in routes {
                let body = method == "POST" ? Data("{}\n".utf8) : nil
                let none = try await f.request(method, path, body: body, route: route)
                #expect(none.status == 401, "\(path) without a key")
                #expect(none.contentType.hasPrefix("application/problem+json"))
                #expect(none.json["code"] as? String == "missing_key")
                let wrong = try await f.request(method, path, key: "kith_not-a-real-key", body: body, route: route)
                #expect(wrong.status == 401, "\(path) with a wrong key")
                #expect(wrong.json["code"] as? String == "unknown_key")
                let scoped = method == "POST" ? f.reader : f.writer
                let forbidden = try await f.request(method, path, key: scoped, body: body, route: route)
                #expect(forbidden.status == 403, "\(path) without its scope")
                #expect(
                    (forbidden.json["detail"] as? String)?.contains(method == "POST" ? "events:write" : "profiles:read")
                        == true)
                for reply in [none, wrong, forbidden] {
                    #expect(
                        !reply.text.contains("identifiers") && !reply.text.contains("\"items\""), "no data in a refusal"
                    )
                }
            }
            // A revoked key stops working at once.
            let keys = KeyStore(f.directory)
            let temporary = try keys.create(name: "temporary", scopes: [.profilesRead])
            #expect(try await f.request("/v1/segments", key: temporary.secret).status == 200)
            _ = try keys.revoke("temporary")
            let revoked = try await f.request("/v1/segments", key: temporary.secret)
            #expect(revoked.status == 401)
            // The key file holds digests, never a key.
            let file = try String(contentsOfFile: keys.file, encoding: .utf8)
            for secret in [f.reader, f.privileged, f.writer, f.admin, temporary.secret] {
                #expect(!file.contains(secret))
            }
        }

        @Test func aliasesOfMergedProfilesResolveWithLocation() async throws {
            let f = try await fixture()
            func event(_ id: String, _ identifiers: String, _ at: String) -> String {
                #"{"event_id":"\#(id)","source":"app","type":"behaviour","name":"app_open","occurred_at":"\#(at)","identifiers":{\#(identifiers)}}"#
            }
            // Two customers, then one event that shows they are the same person.
            let apart = [
                event("alias-1", #""device_id":"dev-alias-a""#, "2026-11-03T10:00:00+08:00"),
                event("alias-2", #""email":"alias.b@163.com""#, "2026-11-03T11:00:00+08:00"),
            ].joined(separator: "\n")
            #expect(try await f.request("POST", "/v1/events", key: f.writer, body: Data(apart.utf8)).status == 200)
            let a =
                try await f.request("/v1/profiles?identifier=device_id:dev-alias-a", key: f.reader).json["profile_id"]
                as? String
            let b =
                try await f.request("/v1/profiles?identifier=email:alias.b@163.com", key: f.reader).json["profile_id"]
                as? String
            let survivor = try #require(a)
            let alias = try #require(b)
            #expect(survivor != alias)
            let together = event(
                "alias-3", #""device_id":"dev-alias-a","email":"Alias.B@163.com""#, "2026-11-03T12:00:00+08:00")
            #expect(try await f.request("POST", "/v1/events", key: f.writer, body: Data(together.utf8)).status == 200)

            let reply = try await f.request("/v1/profiles/\(alias)", key: f.reader, route: "/v1/profiles/{id}")
            #expect(reply.status == 200)
            #expect(reply.headers["location"] == "/v1/profiles/\(survivor)")
            #expect(reply.json["profile_id"] as? String == survivor)
            #expect(reply.json["status"] as? String == "merged")
            #expect(reply.json["requested"] as? String == alias)
            #expect((reply.json["note"] as? String)?.contains("merged into \(survivor)") == true)
            let current = try await f.request("/v1/profiles/\(survivor)", key: f.reader, route: "/v1/profiles/{id}")
            #expect(current.headers["location"] == nil)
            #expect(current.json["status"] as? String == "current")
            // Its timeline and explanation resolve through the alias too.
            let timeline = try await f.request(
                "/v1/profiles/\(alias)/timeline", key: f.reader, route: "/v1/profiles/{id}/timeline")
            #expect(timeline.json["profile_id"] as? String == survivor)
            #expect((timeline.json["items"] as? [[String: Any]])?.count == 3)
        }

        @Test func cursorsPageThroughEverything() async throws {
            let f = try await fixture()
            let s = try store(f)
            // Timeline: pages of 3 concatenate to the whole timeline, newest first, no repeats.
            let truth = try personWithContactDetails(f)
            let all = try s.timeline(truth.profileID, limit: 10_000, in: try EventLogReader(directory: f.directory.log))
            var paged: [UInt64] = []
            var cursor: String?
            repeat {
                let path = "/v1/profiles/\(truth.profileID)/timeline?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await f.request(path, key: f.reader, route: "/v1/profiles/{id}/timeline")
                #expect(reply.status == 200)
                let items = reply.json["items"] as? [[String: Any]] ?? []
                paged += items.compactMap { ($0["position"] as? NSNumber)?.uint64Value }
                cursor = reply.json["next_cursor"] as? String
            } while cursor != nil
            #expect(paged == all.map(\.position))
            #expect(all.count > 3)

            // A segment: pages of 7 are the segment's members in profile-id order.
            var expected: [String] = []
            try s.forEachRFM { e in
                if e.score?.segment == .generalWinBack { expected.append(e.profile) }
                return true
            }
            var members: [String] = []
            cursor = nil
            repeat {
                let path = "/v1/segments/general_win_back/profiles?limit=7" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try await f.request(path, key: f.reader, route: "/v1/segments/{key}/profiles")
                #expect(reply.status == 200)
                members += (reply.json["items"] as? [[String: Any]] ?? []).compactMap { $0["profile_id"] as? String }
                cursor = reply.json["next_cursor"] as? String
            } while cursor != nil
            #expect(members == expected)
            #expect(expected.count > 7)
            // A stage works the same way.
            let stage = try await f.request(
                "/v1/segments/prospect/profiles?limit=5", key: f.reader, route: "/v1/segments/{key}/profiles")
            #expect(
                (stage.json["items"] as? [[String: Any]])?.allSatisfy { $0["stage"] as? String == "prospect" } == true)

            // Counts agree with the view.
            let view = try #require(try s.rfmView())
            let segments = try await f.request("/v1/segments", key: f.reader, route: "/v1/segments")
            let counts = (segments.json["segments"] as? [[String: Any]] ?? []).reduce(into: [String: Int]()) {
                $0[$1["key"] as? String ?? ""] = $1["count"] as? Int
            }
            for row in view.summary.segments { #expect(counts[row.segment.key] == row.count) }
            #expect(counts["general_win_back"] == expected.count)
            _ = try await f.request("/v1/rfm/summary", key: f.reader, route: "/v1/rfm/summary")
            _ = try await f.request("/v1/status", key: f.reader, route: "/v1/status")
        }

        @Test func badInputIsAClear4xx() async throws {
            let f = try await fixture()
            let truth = try personWithContactDetails(f)
            let cases: [(String, String, Int, String)] = [
                ("/v1/profiles", "/v1/profiles", 400, "missing_identifier"),
                ("/v1/profiles?identifier=13800138000", "/v1/profiles", 400, "bad_identifier"),
                ("/v1/profiles?identifier=phone:12", "/v1/profiles", 404, "no_profile"),
                // A combining mark after the colon no longer hides it: the spec's pattern matches, so
                // the lookup runs (and finds nobody) instead of a 400 the spec did not allow.
                ("/v1/profiles?identifier=phone:%CC%8115100003101", "/v1/profiles", 404, "no_profile"),
                ("/v1/profiles/phone:13800138000", "/v1/profiles/{id}", 400, "identifier_in_path"),
                ("/v1/profiles/nobody", "/v1/profiles/{id}", 400, "bad_profile_id"),
                ("/v1/profiles/p0000000000000000", "/v1/profiles/{id}", 404, "no_profile"),
                // Identifiers are refused in every path, however they are spelled (issue 15).
                ("/v1/profiles/phone:13800138000/timeline", "/v1/profiles/{id}/timeline", 400, "identifier_in_path"),
                ("/v1/profiles/phone:13800138000/explain", "/v1/profiles/{id}/explain", 400, "identifier_in_path"),
                ("/v1/profiles/phone:%CC%8113800138000", "/v1/profiles/{id}", 400, "identifier_in_path"),
                ("/v1/profiles/13800138000/timeline", "/v1/profiles/{id}/timeline", 400, "identifier_in_path"),
                ("/v1/profiles/li%40example.com/explain", "/v1/profiles/{id}/explain", 400, "identifier_in_path"),
                ("/v1/profiles/\(truth.profileID)/timeline?limit=0", "/v1/profiles/{id}/timeline", 400, "bad_limit"),
                ("/v1/profiles/\(truth.profileID)/timeline?limit=abc", "/v1/profiles/{id}/timeline", 400, "bad_limit"),
                (
                    "/v1/profiles/\(truth.profileID)/timeline?cursor=%25%25", "/v1/profiles/{id}/timeline", 400,
                    "bad_cursor"
                ),
                (
                    "/v1/profiles/\(truth.profileID)/timeline?type=purchase", "/v1/profiles/{id}/timeline", 400,
                    "bad_type"
                ),
                ("/v1/segments/vip/profiles", "/v1/segments/{key}/profiles", 404, "no_segment"),
                ("/v1/segments/new/profiles?cursor=zzzz", "/v1/segments/{key}/profiles", 400, "bad_cursor"),
                // A misspelt parameter is refused, not ignored (schemathesis found it ignored).
                ("/v1/segments/new/profiles?limt=5", "/v1/segments/{key}/profiles", 400, "unknown_parameter"),
                ("/v1/profiles?identifier=phone:13800138000&pretty=1", "/v1/profiles", 400, "unknown_parameter"),
            ]
            for (path, route, status, code) in cases {
                let reply = try await f.request(path, key: f.admin, route: route)
                #expect(reply.status == status, "\(path)")
                #expect(reply.json["code"] as? String == code, "\(path): \(reply.text)")
                #expect(reply.contentType.hasPrefix("application/problem+json"))
                #expect((reply.json["detail"] as? String ?? "").count > 20)
            }
            // An empty cursor is the first page, as the spec allows it.
            let first = try await f.request(
                "/v1/profiles/\(truth.profileID)/timeline?cursor=", key: f.reader, route: "/v1/profiles/{id}/timeline")
            #expect(first.status == 200)
            #expect(try await f.request("/v1/segments/new/profiles?cursor=", key: f.reader).status == 200)
            for source in ["", "POS", "a%20b"] {
                let bad = try await f.request(
                    "POST", "/v1/events?source=\(source)", key: f.admin, body: Data("x\n".utf8), route: "/v1/events")
                #expect(bad.status == 400 && bad.json["code"] as? String == "bad_source", "source=\(source)")
            }
            let empty = try await f.request("POST", "/v1/events", key: f.writer, body: Data(), route: "/v1/events")
            #expect(empty.status == 400)
            let huge = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data(repeating: 0x20, count: 2 << 20), route: "/v1/events")
            #expect(huge.status == 413)
            #expect(huge.contentType.hasPrefix("application/problem+json"))
            let unknown = try await f.request("/v2/anything", key: f.admin)
            #expect(unknown.status == 404)
            #expect(unknown.json["code"] as? String == "no_route")
        }

        @Test func postedEventsAreIngestedQuarantinedAndProjected() async throws {
            let f = try await fixture()
            let phone = "13912345068"
            let body = """
                {"event_id":"http-1","source":"miniprogram","type":"behaviour","name":"page_view","occurred_at":"2026-11-01T10:00:00+08:00","identifiers":{"phone":"\(phone)","wechat_openid":"oHTTP1"}}
                {"event_id":"http-2","source":"miniprogram","type":"behaviour","name":"page_view","occurred_at":"not a time","identifiers":{"phone":"\(phone)"}}

                """
            let first = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data(body.utf8), route: "/v1/events")
            #expect(first.status == 200)
            // Counts only: nothing that tells a write key whether a customer existed.
            #expect(Set(first.json.keys) == ["records", "accepted", "duplicates", "quarantined"])
            #expect(first.json["records"] as? Int == 2)
            #expect(first.json["accepted"] as? Int == 1)
            #expect(first.json["quarantined"] as? Int == 1)
            // Bodies are staged in memory: nothing is left in the data directory.
            #expect(!FileManager.default.fileExists(atPath: f.directory.path + "/incoming"))
            let profile = try await f.request("/v1/profiles?identifier=phone:\(phone)", key: f.privileged)
            #expect(profile.status == 200)
            #expect(profile.text.contains("oHTTP1"))
            // The same events again: idempotent, and the bad line is not quarantined twice.
            let before = try QuarantineStore(directory: f.directory.quarantine).records().count
            let again = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data(body.utf8), route: "/v1/events")
            #expect(again.json["duplicates"] as? Int == 1)
            #expect(again.json["accepted"] as? Int == 0)
            let reordered = body.split(separator: "\n").reversed().joined(separator: "\n") + "\n"
            _ = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data(reordered.utf8), route: "/v1/events")
            let quarantine = try QuarantineStore(directory: f.directory.quarantine).records()
            #expect(quarantine.count == before, "a bad line posted again was stored again")
            #expect(quarantine.filter { $0.raw?.contains("http-2") == true }.count == 1)
            #expect(quarantine.first { $0.raw?.contains("http-2") == true }?.file == "request body")

            // A write key writes only its sources: a line of another source is quarantined, and a
            // ?source= it was not given is refused.
            let foreign =
                #"{"event_id":"http-pos-1","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-11-01T10:00:00+08:00","identifiers":{"phone":"13912345069"},"properties":{"order_id":"o-http-pos-1","amount":"10.00","currency":"CNY"}}"#
                + "\n"
            let refused = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data(foreign.utf8), route: "/v1/events")
            #expect(refused.json["accepted"] as? Int == 0)
            #expect(refused.json["quarantined"] as? Int == 1)
            let reason = try QuarantineStore(directory: f.directory.quarantine).records().first {
                $0.raw?.contains("http-pos-1") == true
            }
            #expect(reason?.field == "source")
            #expect(reason?.reason.contains("not one this writer may write") == true)
            let wrongSource = try await f.request(
                "POST", "/v1/events?source=pos", key: f.writer, body: Data(foreign.utf8), route: "/v1/events")
            #expect(wrongSource.status == 403)
            #expect(wrongSource.json["code"] as? String == "source_not_allowed")
        }

        @Test func operationalRoutesAndMetrics() async throws {
            let f = try await fixture()
            let health = try await f.request("/healthz", route: "/healthz")
            #expect(health.status == 200)
            #expect(health.json["store"] as? String == "ready")
            let page = try await f.request("/", route: "/")
            #expect(page.status == 200)
            #expect(page.text.contains("<script>") && !page.text.contains("src=\"http"))
            _ = try await f.request("/v1/segments", key: f.reader)
            let metrics = try await f.request("/metrics", route: "/metrics")
            #expect(metrics.status == 200)
            let text = metrics.text
            #expect(text.contains(#"kith_http_requests_total{route="/v1/segments",method="GET",status="200"}"#))
            #expect(text.contains("kith_http_request_duration_seconds_bucket{route=\"/v1/segments\""))
            #expect(text.contains("kith_projection_lag_events 0"))
            let status = try await f.request("/v1/status", key: f.reader)
            let end = try #require(status.json["log_end_position"] as? Int)
            #expect(text.contains("kith_log_events \(end)"))
        }

        /// Runs last in this suite: every exchange recorded above, checked against the contract.
        @Test func responsesMatchTheOpenAPIDocument() async throws {
            let f = try await fixture()
            // Make sure every operation has a 2xx exchange even when run alone.
            let truth = try personWithContactDetails(f)
            _ = try await f.request("/v1/profiles/\(truth.profileID)", key: f.reader, route: "/v1/profiles/{id}")
            _ = try await f.request("/v1/profiles?identifier=\(truth.profileID)", key: f.reader, route: "/v1/profiles")
            let phone = try #require(truth.identifiers["phone"]?.first?.value)
            _ = try await f.request(
                "/v1/profiles?identifier=phone:\(phone.dropFirst(3))", key: f.privileged, route: "/v1/profiles")
            _ = try await f.request(
                "/v1/profiles/\(truth.profileID)/timeline?limit=2", key: f.reader, route: "/v1/profiles/{id}/timeline")
            _ = try await f.request(
                "/v1/profiles/\(truth.profileID)/explain", key: f.reader, route: "/v1/profiles/{id}/explain")
            _ = try await f.request("/v1/segments", key: f.reader, route: "/v1/segments")
            _ = try await f.request("/v1/segments/loyal/profiles", key: f.reader, route: "/v1/segments/{key}/profiles")
            _ = try await f.request("/v1/rfm/summary", key: f.reader, route: "/v1/rfm/summary")
            _ = try await f.request("/v1/status", key: f.reader, route: "/v1/status")
            _ = try await f.request("/healthz", route: "/healthz")
            _ = try await f.request("/metrics", route: "/metrics")
            _ = try await f.request("/", route: "/")
            let line =
                #"{"event_id":"contract-1","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-11-02T10:00:00+08:00","identifiers":{"device_id":"dev-contract"}}"#
            _ = try await f.request(
                "POST", "/v1/events", key: f.writer, body: Data((line + "\n").utf8), route: "/v1/events")
            let exchanges = f.root + "/exchanges.json"
            try f.recorder.write(to: exchanges)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "python3", packageRoot + "/tools/check_openapi.py", packageRoot + "/schemas/openapi.yaml", exchanges,
            ]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = out
            try process.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(text)")
        }
    }
}
