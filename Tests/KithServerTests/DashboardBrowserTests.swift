import Foundation
import KithTestSupport
import Testing

/// The dashboard in a real headless browser (Debian's chromium): the rendered DOM shows the
/// counts the API serves, the profile page shows what the key may see. Screenshots go to
/// .build/artifacts/.
extension LoopbackServer {
    @Suite struct DashboardBrowserTests {
        static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }

        func browse(_ url: String, screenshot: String? = nil) throws -> String {
            guard let chromium = DashboardBrowserTests.chromium else {
                Issue.record("chromium is not installed (apt-get install -y chromium; .ci/run does this)")
                return ""
            }
            let profile = NSTemporaryDirectory() + "kith-chromium-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: profile) }
            var arguments = [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=\(profile)", "--virtual-time-budget=15000", "--window-size=1280,1600",
            ]
            if let screenshot { arguments.append("--screenshot=\(screenshot)") } else { arguments.append("--dump-dom") }
            arguments.append(url)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }

        /// The text of the element with this id in the dumped DOM.
        func text(of id: String, in dom: String) -> String? {
            guard let r = dom.range(of: "id=\"\(id)\"") else { return nil }
            let rest = dom[r.upperBound...]
            guard let open = rest.firstIndex(of: ">"), let close = rest[open...].firstIndex(of: "<") else { return nil }
            return String(rest[rest.index(after: open)..<close])
        }

        @Test func dashboardShowsTheServedCounts() async throws {
            let f = try await sharedServer.value
            let segments = try await f.request("/v1/segments", key: f.reader).json
            let status = try await f.request("/v1/status", key: f.reader).json
            let dom = try browse("http://127.0.0.1:\(f.port)/#lang=en&key=\(f.reader)")
            #expect(text(of: "profiles-total", in: dom) == "\(segments["profiles"] as? Int ?? -1)")
            #expect(text(of: "scored-total", in: dom) == "\(segments["scored"] as? Int ?? -1)")
            #expect(text(of: "status-log", in: dom) == "\(status["log_end_position"] as? Int ?? -1)")
            for group in (segments["segments"] as? [[String: Any]] ?? [])
                + (segments["stages"] as? [[String: Any]] ?? [])
            {
                let key = group["key"] as? String ?? ""
                let count = group["count"] as? Int ?? -1
                #expect(
                    dom.contains(
                        "class=\"count\" data-key=\"\(key)\">\(count.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US"))))<"
                    ), "\(key)")
            }
            #expect(dom.contains("Lifecycle funnel"))
            #expect(dom.components(separatedBy: "data-r=").count - 1 == 25)
            let zh = try browse("http://127.0.0.1:\(f.port)/#lang=zh&key=\(f.reader)")
            #expect(zh.contains("生命周期漏斗") && zh.contains("重要价值客户"))
            try FileManager.default.createDirectory(
                atPath: packageRoot + "/.build/artifacts", withIntermediateDirectories: true)
            _ = try browse(
                "http://127.0.0.1:\(f.port)/#lang=en&key=\(f.reader)",
                screenshot: packageRoot + "/.build/artifacts/dashboard.png")
            #expect(FileManager.default.fileExists(atPath: packageRoot + "/.build/artifacts/dashboard.png"))
        }

        @Test func profilePageShowsWhatTheKeyMaySee() async throws {
            let f = try await sharedServer.value
            // Ids are keyed per run, so the segment's order differs run to run: take the first
            // member that has a phone.
            let members =
                (try await f.request("/v1/segments/important_value/profiles?limit=100", key: f.reader).json["items"]
                    as? [[String: Any]]) ?? []
            var chosen: (id: String, phone: String)?
            for member in members {
                guard let id = member["profile_id"] as? String else { continue }
                let full = try await f.request("/v1/profiles/\(id)", key: f.privileged).json
                if let phone = ((full["identifiers"] as? [String: Any])?["phone"] as? [[String: Any]])?.first?["value"]
                    as? String
                {
                    chosen = (id, phone)
                    break
                }
            }
            let (id, phone) = try #require(chosen)
            let masked = try browse("http://127.0.0.1:\(f.port)/#lang=en&q=\(id)&key=\(f.reader)")
            #expect(text(of: "profile-id", in: masked) == id)
            #expect(text(of: "profile-segment", in: masked) == "important value")
            #expect(!masked.contains(phone))
            #expect(masked.contains(String(phone.suffix(4))) && masked.contains("****"))
            let shown = try browse("http://127.0.0.1:\(f.port)/#lang=en&q=\(id)&key=\(f.privileged)")
            #expect(shown.contains(phone))
            _ = try browse(
                "http://127.0.0.1:\(f.port)/#lang=zh&q=\(id)&key=\(f.reader)",
                screenshot: packageRoot + "/.build/artifacts/profile.png")
        }
    }
}
