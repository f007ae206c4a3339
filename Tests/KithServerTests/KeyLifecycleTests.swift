import Foundation
import KithCore
import KithDirectory
import KithTestSupport
import Testing

extension LoopbackServer {
    /// Keys that expire, rotate with a grace period, show when they were last used, and, for
    /// writing, name their sources.
    @Suite struct KeyLifecycleTests {
        func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

        @Test func writeKeysNeedSourcesAndExpiryIsEnforced() throws {
            let scratch = Scratch()
            let data = scratch.path + "/data"
            let unbound = try kith(["keys", "create", "--data", data, "--name", "feed", "--scopes", "events:write"])
            #expect(unbound.status == 2)
            #expect(unbound.stderr.contains("--sources"))
            let past = try kith([
                "keys", "create", "--data", data, "--name", "old", "--scopes", "profiles:read", "--expires",
                "2020-01-01",
            ])
            #expect(past.status == 2 && past.stderr.contains("future"))
            let badDuration = try kith([
                "keys", "create", "--data", data, "--name", "x", "--scopes", "profiles:read", "--expires", "soon",
            ])
            #expect(badDuration.status != 0 && badDuration.stderr.contains("--expires"))

            let store = KeyStore(DataDirectory(data))
            let now = Date()
            let made = try store.create(
                name: "month", scopes: [.profilesRead], expiresAt: now.addingTimeInterval(60), now: now)
            #expect(KeyStore.match(made.secret, in: try store.list(), now: now)?.id == made.key.id)
            #expect(KeyStore.match(made.secret, in: try store.list(), now: now.addingTimeInterval(61)) == nil)
            let listed = try kith(["keys", "list", "--data", data, "--format", "json"])
            let entry = (json(listed.stdout) as? [[String: Any]])?.first { $0["name"] as? String == "month" }
            #expect(entry?["expires_at"] as? String == made.key.expiresAt)
            #expect(entry?["last_used_at"] is NSNull)
        }

        @Test func rotationKeepsTheOldSecretForItsGraceThenStops() async throws {
            let scratch = Scratch()
            #expect(try kith(["demo", "--persons", "60", "--seed", "5", "--dir", scratch.path + "/demo"]).status == 0)
            let created = try kith([
                "keys", "create", "--data", scratch.path + "/demo/data", "--name", "crm", "--scopes", "profiles:read",
                "--format", "json",
            ])
            let old = try #require((json(created.stdout) as? [String: Any])?["secret"] as? String)
            let directory = scratch.path + "/demo/data"
            let server = try ServeProcess(data: directory)
            defer { server.stop() }
            let port = try #require(
                Int(
                    server.url.split(separator: ":").last?.trimmingCharacters(in: CharacterSet(charactersIn: "/")) ?? ""
                ))
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: old).status == 200)

            // With a grace period, both secrets work.
            let graced = try kith(["keys", "rotate", "--data", directory, "crm", "--grace", "1h", "--format", "json"])
            #expect(graced.status == 0, "\(graced.stderr)")
            let second = try #require((json(graced.stdout) as? [String: Any])?["secret"] as? String)
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: old).status == 200)
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: second).status == 200)
            // Without one, the replaced secret stops at once.
            let abrupt = try kith(["keys", "rotate", "--data", directory, "crm", "--grace", "0m", "--format", "json"])
            let third = try #require((json(abrupt.stdout) as? [String: Any])?["secret"] as? String)
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: second).status == 401)
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: old).status == 401)
            #expect(try await ServerFixture.request("GET", "/v1/segments", port: port, key: third).status == 200)

            // The server noted the use: keys list shows when.
            let listed = try kith(["keys", "list", "--data", directory, "--format", "json"])
            let entry = (json(listed.stdout) as? [[String: Any]])?.first { $0["name"] as? String == "crm" }
            let used = try #require(entry?["last_used_at"] as? String)
            #expect(used.hasPrefix("20"))
            #expect(!listed.stdout.contains(third) && !listed.stdout.contains(old))
        }

        @Test func aFullQuarantineRefusesIngestBeforeItStarts() throws {
            let scratch = Scratch()
            let data = scratch.path + "/data"
            let file = scratch.path + "/bad.ndjson"
            try Data("not json\n".utf8).write(to: URL(fileURLWithPath: file))
            #expect(try kith(["ingest", "--data", data, "--no-project", file]).status == 0)
            let full = try kith(
                ["ingest", "--data", data, "--no-project", file], environment: ["KITH_QUARANTINE_MAX_MB": "0"])
            #expect(full.status == 2)
            #expect(full.stderr.contains("quarantine") && full.stderr.contains("nothing was ingested"))
        }
    }
}
