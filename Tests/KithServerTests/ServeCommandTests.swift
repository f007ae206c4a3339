import Foundation
import KithTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

extension LoopbackServer {
    /// The commands around the server, run as a user runs them.
    @Suite struct ServeCommandTests {
        @Test func serveKeysAndAuditCommands() async throws {
            let f = try await sharedServer.value
            let data = f.directory.path
            // keys create prints the secret once; list never shows it.
            let created = try kith([
                "keys", "create", "--data", data, "--name", "cli-test", "--scopes", "profiles:read,pii:read",
                "--format", "json",
            ])
            #expect(created.status == 0, "\(created.stderr)")
            let json = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any] ?? [:]
            let secret = try #require(json["secret"] as? String)
            let listed = try kith(["keys", "list", "--data", data])
            #expect(listed.stdout.contains("cli-test") && listed.stdout.contains("pii:read"))
            #expect(!listed.stdout.contains(secret))
            let badScope = try kith(["keys", "create", "--data", data, "--name", "x", "--scopes", "everything"])
            #expect(badScope.status != 0 && badScope.stderr.contains("unknown scope \"everything\""))

            // kith serve on a free port: answers, and stops cleanly on SIGTERM.
            let server = try ServeProcess(data: data)
            let url = server.url
            let id = try #require(
                (try await f.request("/v1/segments/important_value/profiles?limit=1", key: f.reader).json["items"]
                    as? [[String: Any]])?
                    .first?["profile_id"] as? String)
            var request = URLRequest(url: URL(string: url + "v1/profiles/\(id)")!)
            request.setValue("Bearer \(secret)", forHTTPHeaderField: "Authorization")
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            server.stop()
            #expect(server.process.terminationStatus == 0)

            // That unmasked read is in the audit list, under the key's name.
            let audit = try kith(["audit", "list", "--data", data, "--profile", id, "--format", "json"])
            #expect(audit.status == 0)
            #expect(audit.stdout.contains("\"key\" : \"cli-test\""))
            let revoked = try kith(["keys", "revoke", "--data", data, "cli-test"])
            #expect(revoked.status == 0 && revoked.stdout.contains("revoked"))
        }

        /// Reads keep answering, from whole batches, while another process ingests and projects.
        @Test func readsNeverFailWhileAnotherProcessIngests() async throws {
            let f = try await sharedServer.value
            let exports = f.root + "/more-exports"
            let generated = try kith(["generate", "--persons", "1500", "--seed", "23", "--out", exports])
            #expect(generated.status == 0)
            let files = try FileManager.default.contentsOfDirectory(atPath: exports).filter { $0.hasSuffix(".ndjson") }
                .map { exports + "/" + $0 }
            let before = try await f.request("/v1/status", key: f.reader).json["log_end_position"] as? Int ?? 0
            let process = Process()
            process.executableURL = URL(fileURLWithPath: kithBinary)
            process.arguments = ["ingest", "--data", f.directory.path, "--no-progress"] + files
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var statuses: [Int: Int] = [:]
            var checkpoints: [Int] = []
            var requests = 0
            while process.isRunning || requests < 20 {
                let status = try await f.request("/v1/status", key: f.reader)
                statuses[status.status, default: 0] += 1
                if let c = status.json["checkpoint"] as? Int { checkpoints.append(c) }
                let segments = try await f.request("/v1/segments", key: f.reader)
                statuses[segments.status, default: 0] += 1
                requests += 2
            }
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            #expect(statuses.keys.sorted() == [200], "\(statuses)")
            #expect(checkpoints == checkpoints.sorted(), "the projected position never goes back")
            let after = try await f.request("/v1/status", key: f.reader).json
            #expect((after["log_end_position"] as? Int ?? 0) > before)
            #expect(after["projection_lag"] as? Int == 0)
        }
    }
}
