import Foundation
import KithDirectory
import KithGenerator
import KithLog

@testable import KithIngest

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// A scratch folder per test.
final class Scratch {
    let path = NSTemporaryDirectory() + "kith-ingest-" + UUID().uuidString
    init() { try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var data: DataDirectory { DataDirectory(path + "/data") }

    func write(_ name: String, _ text: String) -> String {
        let file = path + "/" + name
        precondition(FileManager.default.createFile(atPath: file, contents: Data(text.utf8)), "cannot write \(file)")
        return file
    }
}

func ingest(_ files: [String], into data: DataDirectory, options: Ingestor.Options = Ingestor.Options())
    async throws -> IngestSummary
{
    let log = try FileEventLog(directory: data.log)
    let quarantine = try QuarantineStore(directory: data.quarantine)
    let summary = await Ingestor(log: log, quarantine: quarantine, options: options).ingest(files: files)
    try log.close()
    return summary
}

func logLines(_ data: DataDirectory) throws -> [String] {
    var out: [String] = []
    try EventLogReader(directory: data.log).forEachLine { _, line in
        out.append(String(decoding: line, as: UTF8.self))
        return true
    }
    return out
}

/// Runs a command-line tool; returns its exit status.
@discardableResult
func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

struct ExpectedFile: Decodable {
    var file: String
    var records: Int
    var accepted: Int
    var duplicates: Int
    var skipped: Int
    var quarantined: [String: Int]
    var rejected_identifiers: [String: Int]
}
