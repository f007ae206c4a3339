import Foundation
import Testing
import KithCore
import KithDirectory
import KithServer
import KithTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One generated data directory (the demo's 400 persons) served in-process on a loopback port,
/// shared by the API tests, with one key per kind of caller.
final class ServerFixture: Sendable {
    let root: String
    let directory: DataDirectory
    let port: Int
    /// profiles:read only: sees masked data.
    let reader: String
    /// profiles:read + pii:read.
    let privileged: String
    let writer: String
    let admin: String
    let recorder = ExchangeRecorder()

    /// The shared fixture's folder: one per test process, removed when the process exits (the
    /// server serves until then, so nothing earlier may remove it).
    static var rootOfThisProcess: String { NSTemporaryDirectory() + "kith-serve-\(getpid())" }

    init() async throws {
        root = ServerFixture.rootOfThisProcess
        try? FileManager.default.removeItem(atPath: root)  // a reused pid's leftovers
        atexit { try? FileManager.default.removeItem(atPath: ServerFixture.rootOfThisProcess) }
        let demo = try kith(["demo", "--persons", "400", "--seed", "11", "--dir", root])
        guard demo.status == 0 else { throw FixtureError("kith demo failed: \(demo.stderr)") }
        directory = DataDirectory(root + "/data")
        let keys = KeyStore(directory)
        reader = try keys.create(name: "crm-reader", scopes: [.profilesRead]).secret
        privileged = try keys.create(name: "service-desk", scopes: [.profilesRead, .piiRead]).secret
        writer = try keys.create(name: "mini-program", scopes: [.eventsWrite], sources: ["miniprogram", "app"]).secret
        admin = try keys.create(name: "ops", scopes: [.admin]).secret
        var options = KithServer.Options(
            directory: directory, rules: try RulesFile.inForce(explicit: nil, dataDirectory: directory).0)
        options.host = "127.0.0.1"
        options.port = 0
        options.maximumBodyBytes = 1 << 20
        // The shared server is for behaviour; LimitsTests measure the limits on servers of their own.
        options.limits.burst = 1_000_000
        options.limits.maskedLookupAlarm = 1_000_000
        port = try await ServerFixture.start(options)
    }

    /// Serves `options` in this process; returns the loopback port.
    static func start(_ options: KithServer.Options) async throws -> Int {
        let server = KithServer(options: options)
        return try await withCheckedThrowingContinuation { continuation in
            let once = Once()
            Task.detached {
                do {
                    try await server.run { port in once.run { continuation.resume(returning: port) } }
                } catch {
                    once.run { continuation.resume(throwing: error) }
                }
            }
        }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        var contentType: String { headers["content-type"] ?? "" }
    }

    /// One request over loopback; `route` (the path template) records it for the OpenAPI check.
    func request(_ path: String, key: String? = nil, route: String? = nil) async throws -> Reply {
        try await request("GET", path, key: key, route: route)
    }

    func request(
        _ method: String, _ path: String, key: String? = nil, body: Data? = nil, route: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        let reply = try await ServerFixture.request(method, path, port: port, key: key, body: body, headers: extra)
        if let route { recorder.add(method: method, route: route, reply: reply) }
        return reply
    }

    /// One request to any loopback server of this process.
    static func request(
        _ method: String, _ path: String, port: Int, key: String? = nil, body: Data? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        request.httpMethod = method
        request.httpBody = body
        if let key { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        for (k, v) in extra { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (k, v) in http.allHeaderFields { headers[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: headers, body: data)
    }
}

let sharedServer = Task { try await ServerFixture() }

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func run(_ body: () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !done else { return }
        done = true
        body()
    }
}

/// Exchanges recorded for tools/check_openapi.py.
final class ExchangeRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var exchanges: [[String: Any]] = []

    func add(method: String, route: String, reply: ServerFixture.Reply) {
        lock.lock()
        defer { lock.unlock() }
        exchanges.append([
            "method": method, "route": route, "status": reply.status, "content_type": reply.contentType,
            "body": reply.text,
        ])
    }

    func write(to path: String) throws {
        lock.lock()
        defer { lock.unlock() }
        try JSONSerialization.data(withJSONObject: exchanges).write(to: URL(fileURLWithPath: path))
    }
}

/// `kith serve` on a free loopback port, as a child process.
struct ServeProcess {
    let process = Process()
    let url: String

    /// Standard error, when asked for (`captureErrors`).
    let errors: Pipe?

    init(data: String, arguments: [String] = [], environment: [String: String] = [:], captureErrors: Bool = false)
        throws
    {
        process.executableURL = URL(fileURLWithPath: kithBinary)
        process.arguments = ["serve", "--data", data, "--port", "0"] + arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        errors = captureErrors ? Pipe() : nil
        process.standardError = errors ?? FileHandle.nullDevice
        try process.run()
        var line = ""
        while !line.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let url = line.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines),
            url.hasPrefix("http://127.0.0.1:")
        else { throw FixtureError("kith serve did not say where it listens: \(line)") }
        self.url = url
    }

    var pid: Int32 { process.processIdentifier }

    /// The loopback port it listens on.
    var port: Int { Int(url.split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0 }

    /// The status of `POST /v1/events`, or nil when the connection failed (no acknowledgement).
    func post(_ body: String, key: String) async -> Int? {
        guard let endpoint = URL(string: url + "v1/events") else { return nil }
        var request = URLRequest(url: endpoint, timeoutInterval: 30)
        request.httpMethod = "POST"
        request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
        request.setValue("application/x-ndjson", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body.utf8)
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    func wait() { process.waitUntilExit() }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
