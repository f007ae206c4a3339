import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The package's root folder (for tools/ and schemas/).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The `kith` executable built beside the test bundle.
public let kithBinary: String = {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
        "kith"
    ).path
    if FileManager.default.isExecutableFile(atPath: beside) { return beside }
    return packageRoot + "/.build/debug/kith"
}()

public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// Whether a signal ended it (`status` is then the signal's number).
    public var killed = false
}

/// Runs `kith` with arguments to completion (in `directory`, if given; `input` on its
/// standard input, if given).
public func kith(
    _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil, input: Data? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: kithBinary)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    if input != nil { process.standardInput = stdin }
    try process.run()
    if let input {
        // Written from another thread: a large input would fill the pipe while kith's output
        // fills the other, each waiting on the other.
        let writer = stdin.fileHandleForWriting
        Thread.detachNewThread {
            writer.write(input)
            try? writer.close()
        }
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self), killed: process.terminationReason == .uncaughtSignal)
}

/// Starts `kith`, SIGKILLs it after `microseconds` and waits for it. True when the kill ended
/// it, false when it had finished first.
@discardableResult
public func kithKilled(_ arguments: [String], after microseconds: UInt32) throws -> Bool {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: kithBinary)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    usleep(microseconds)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return process.terminationReason == .uncaughtSignal
}

/// A temporary folder, removed when the value goes away.
public final class Scratch {
    public let path = NSTemporaryDirectory() + "kith-cli-" + UUID().uuidString
    public init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to the file `name` here (replacing it) and returns its path.
    @discardableResult
    public func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        // A test whose input was never written would fail far from the cause.
        precondition(FileManager.default.createFile(atPath: file, contents: Data(text.utf8)), "cannot write \(file)")
        return file
    }
}

/// Rounds for a fault loop: `normal` in every test run, `heavy` when `KITH_FAULTS=heavy` (the
/// long variant, documented in the README).
public func faultRounds(normal: Int, heavy: Int) -> Int {
    ProcessInfo.processInfo.environment["KITH_FAULTS"] == "heavy" ? heavy : normal
}

/// Makes `copy` the same installation as `original` by giving it the same secret (creating
/// one in `original` if it has none yet): profile ids are keyed with it, so two data directories
/// built from one log agree byte for byte only when they share it, as a restored backup does.
public func shareInstallationSecret(from original: String, to copy: String) throws {
    let file = original + "/secret.key"
    if !FileManager.default.fileExists(atPath: file) {
        try FileManager.default.createDirectory(atPath: original, withIntermediateDirectories: true)
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try Data((hex + "\n").utf8).write(to: URL(fileURLWithPath: file))
    }
    try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
    try? FileManager.default.removeItem(atPath: copy + "/secret.key")
    try FileManager.default.copyItem(atPath: file, toPath: copy + "/secret.key")
}
