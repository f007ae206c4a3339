import Foundation

/// A PostgreSQL server of a test's own (`tools/postgres.sh` in a scratch folder, on a free
/// loopback port), for tests that stop and restart it: the shared test server must stay up.
public final class PostgresCluster {
    public let folder: String
    public let port: Int
    /// Its URL, with the password.
    public private(set) var url = ""

    public init(in folder: String) throws {
        self.folder = folder
        port = try Self.freePort()
        try start()
    }

    deinit {
        _ = try? Self.script(["stop", folder])
        try? FileManager.default.removeItem(atPath: folder)
    }

    public func start() throws {
        url = try Self.script(["start", folder, String(port)]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fast shutdown: the server ends every session at once, as a crash or failover would.
    public func stop() throws { _ = try Self.script(["stop", folder]) }

    /// Runs `tools/postgres.sh` and returns its standard output; fails with its standard error.
    static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let process = Process()
        process.executableURL = root.appendingPathComponent("tools/postgres.sh")
        process.arguments = arguments
        // Files, not pipes: the server the script starts keeps what it inherited open, and a
        // pipe read to its end would wait for the server to stop.
        let outFile = NSTemporaryDirectory() + "kith-pg-\(UUID().uuidString).out"
        let errFile = outFile + ".err"
        FileManager.default.createFile(atPath: outFile, contents: nil)
        FileManager.default.createFile(atPath: errFile, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outFile)
            try? FileManager.default.removeItem(atPath: errFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errFile))
        try process.run()
        process.waitUntilExit()
        let output = FileManager.default.contents(atPath: outFile) ?? Data()
        let errors = FileManager.default.contents(atPath: errFile) ?? Data()
        guard process.terminationStatus == 0 else {
            throw ClusterError(
                description: "tools/postgres.sh \(arguments.joined(separator: " ")) failed: "
                    + String(decoding: errors, as: UTF8.self))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ClusterError(description: "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct ClusterError: Error, CustomStringConvertible {
        var description: String
    }
}
