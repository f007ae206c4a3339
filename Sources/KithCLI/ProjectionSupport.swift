import ArgumentParser
import Foundation
import KithCore
import KithIngest
import KithLog
import KithProjections

/// `--rules FILE` (else `DIR/rules.yaml`, else the standard rules).
struct RulesOption: ParsableArguments {
    @Option(help: "Rules file (YAML or JSON; default: DIR/rules.yaml if present, else the standard rules).")
    var rules: String?
}

enum Projection {
    static func openStore(_ data: DataDirectory) throws -> SQLiteProjectionStore {
        do { return try SQLiteProjectionStore(path: data.projections) } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
    }

    static func rules(_ option: RulesOption, _ data: DataDirectory) throws -> Rules {
        do { return try RulesFile.inForce(explicit: option.rules, dataDirectory: data).0 } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// Brings the projections up to the end of the log (the caller holds the writer lock).
    static func catchUp(
        _ data: DataDirectory, rules: Rules, rebuild: Bool = false, batchSize: Int = 50_000, progress: Bool
    ) throws -> Projector.Summary {
        if rebuild {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: data.projections + suffix) }
        }
        let store = try openStore(data)
        let projector: Projector
        do { projector = try Projector(store: store, rules: rules) } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        let reader = try EventLogReader(directory: data.log)
        let start = Date()
        return try projector.catchUp(with: reader, batchSize: batchSize) { done, end in
            guard progress, end > 0 else { return }
            let elapsed = Date().timeIntervalSince(start)
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "\rproject %3.0f%%  %@/%@ events  %@ ev/s\u{1B}[K", Double(done) / Double(end) * 100,
                        Int(done).grouped, Int(end).grouped, Int(Double(done) / max(elapsed, 0.001)).grouped
                    ).utf8))
            if done == end { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    static func render(_ s: Projector.Summary) -> String {
        String(
            format: "projected %@ events (positions %llu..<%llu) in %.2f s, %@ events/s; %@ new profiles, %@ merges, %@ splits",
            s.events.grouped, s.fromPosition, s.toPosition, s.seconds, Int(s.eventsPerSecond).grouped,
            s.newProfiles.grouped, s.merges.grouped, s.splits.grouped)
    }
}

struct ProjectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Bring unified profiles and the identity graph up to date with the log.",
        discussion: "`kith ingest` does this after every run; use --rebuild after changing rules.")
    @OptionGroup var data: DataOptions
    @OptionGroup var rules: RulesOption
    @Flag(help: "Throw the projections away and rebuild them from the whole log.") var rebuild = false
    @Option(help: "Events per committed batch (each commits with its checkpoint).") var batchSize = 50_000
    @Option(help: "table or json") var format: OutputFormat = .table

    func run() throws {
        // Holding the log's writer lock makes this the only process writing the data directory
        // (the lock alone: projecting reads the log, it does not need the writer's key index).
        let lock: DirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: data.directory.log, withIntermediateDirectories: true)
            lock = try DirectoryLock(directory: data.directory.log, purpose: "kith project")
        } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        let summary = try withExtendedLifetime(lock) {
            try Projection.catchUp(
                data.directory, rules: try Projection.rules(rules, data.directory), rebuild: rebuild,
                batchSize: max(1, batchSize), progress: Out.stderrIsTerminal)
        }
        if format == .json { try Out.json(summary) } else { Out.print(Projection.render(summary)) }
        Out.flush()
    }
}
