import ArgumentParser
import Foundation
import KithCore
import KithEngine

extension LogCommand {
    struct Copy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the data directory's log into PostgreSQL (--to), or a PostgreSQL log into it (--from).",
            discussion: """
                Every event keeps its position. The target must be empty or hold the start of the source (a copy cut \
                short goes on where it stopped). When the copy is done both logs are read whole and every event is \
                compared byte for byte. Exit status 0 when the copy is whole, 2 when it could not be made.
                """)
        @OptionGroup var data: DataOptions
        @Option(help: "Copy the data directory's log into the PostgreSQL log at this URL.") var to: String?
        @Option(help: "Copy the PostgreSQL log at this URL into the data directory's log.") var from: String?
        @Flag(help: "No progress line.") var noProgress = false
        @Option(help: "table or json") var format: OutputFormat = .table

        func validate() throws {
            guard (to == nil) != (from == nil) else {
                throw ValidationError("give either --to postgres://… or --from postgres://…")
            }
        }

        func run() throws {
            // The data directory's own log, whatever store the directory names.
            var embedded = data.directory
            embedded.storeURL = nil
            let engine = try Projection.engine(embedded)
            let line = noProgress ? nil : ProgressLine(label: "copying")
            let progress = { (done: UInt64, of: UInt64) -> Void in line?.show(events: done, of: of) }
            let copy = try Projection.reporting {
                if let to {
                    let target = try Engine.postgresLog(to)
                    defer { try? target.close() }
                    return try Engine.copyLog(
                        from: engine.logReader(), named: data.directory.log, to: target,
                        named: target.location.description, progress: progress)
                }
                let source = try Engine.postgresLog(from ?? "")
                defer { try? source.close() }
                let target = try engine.openLog(purpose: "kith log copy")
                defer { try? target.close() }
                return try Engine.copyLog(
                    from: source, named: source.location.description, to: target, named: data.directory.log,
                    progress: progress)
            }
            if line != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            if format == .json {
                try Out.json(copy)
            } else {
                Out.print(
                    "copied \(copy.copied.grouped) events from \(copy.from) to \(copy.to)"
                        + (copy.alreadyThere > 0 ? " (\(Int(copy.alreadyThere).grouped) were there already)" : "")
                        + String(
                            format: " in %.2f s (%.2f s copying, %.2f s comparing)", copy.seconds, copy.copyingSeconds,
                            copy.comparingSeconds))
                Out.print("compared all \(Int(copy.compared).grouped) events byte for byte: the two logs are the same")
            }
        }
    }
}
