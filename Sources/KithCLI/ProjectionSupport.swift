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
    /// The store in force, its profile ids made this installation's way (a store from before
    /// ids were keyed is renamed on first open; its old ids stay as aliases).
    static func openStore(_ data: DataDirectory) throws -> SQLiteProjectionStore {
        do {
            let store = try SQLiteProjectionStore(path: data.projections)
            try store.adoptProfileIDs(try profileIDs(data))
            return store
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// How this data directory names profiles (keyed with its installation secret).
    static func profileIDs(_ data: DataDirectory) throws -> ProfileIDs {
        do { return try InstallationSecret.of(data).profileIDs } catch {
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

    /// Brings the projections up to the end of the log (the caller holds the writer lock), then
    /// refreshes the RFM view.
    static func catchUp(
        _ data: DataDirectory, rules: Rules, rebuild: Bool = false, batchSize: Int? = nil, progress: Bool,
        storePath: String? = nil, asOf: AsOf? = nil, label: String = "project"
    ) throws -> Projector.Summary {
        let path = storePath ?? data.projections
        var asOf = asOf
        if rebuild {
            // The rebuilt view keeps a pinned `as_of`.
            if asOf == nil, let previous = try? SQLiteProjectionStore(path: path).rfmView() {
                asOf = .carried(previous.asOf, pinned: previous.pinned)
            }
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let store: SQLiteProjectionStore
        do { store = try SQLiteProjectionStore(path: path) } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        let projector: Projector
        let ids = try profileIDs(data)
        do { projector = try Projector(store: store, rules: rules, profileIDs: ids) } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        if let available = availableMemory() { projector.onePassLimit = Projector.onePassLimit(availableMemory: available) }
        projector.afterCommit = { KillPoint.commit.reached() }
        let reader = try EventLogReader(directory: data.log)
        let start = Date()
        let first = projector.checkpoint
        let summary = try projector.catchUp(with: reader, batchSize: batchSize) { p in
            guard progress, p.end > 0 else { return }
            let elapsed = Date().timeIntervalSince(start)
            if let stage = p.stage {
                // A rebuild has read the log; what is left has no event count to show, except
                // another read of the log for more values' statistics.
                let text =
                    stage == .foldingMoreValues
                    ? "\(stage.rawValue)… \(Int(Double(p.position) / Double(p.end) * 100))%"
                    : "read \(Int(p.position).grouped) events; \(stage.rawValue)…"
                FileHandle.standardError.write(Data("\r\(label): \(text)  \(duration(elapsed))\u{1B}[K".utf8))
                return
            }
            let rate = Double(p.position - first) / max(elapsed, 0.001)
            let eta = rate > 0 ? Double(p.end - p.position) / rate : 0
            FileHandle.standardError.write(
                Data(
                    String(
                        format: "\r%@ %3.0f%%  %@/%@ events  %@ ev/s  ETA %@\u{1B}[K", label,
                        Double(p.position) / Double(p.end) * 100, Int(p.position).grouped, Int(p.end).grouped,
                        Int(rate).grouped, duration(eta)
                    ).utf8))
        }
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        try refresh(store, rules: rules, asOf: asOf)
        return summary
    }

    /// The memory this process may still take, in bytes: Linux's MemAvailable, or less under a
    /// cgroup (container) limit; nil where neither can be read.
    static func availableMemory() -> Int? {
        func number(_ text: String?) -> Int? { text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
        var available: Int?
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
            let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") })
        {
            available = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        // cgroup v2: memory.max is "max" when there is no limit.
        if let limit = number(try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8)),
            let used = number(try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
        {
            available = min(available ?? .max, max(0, limit - used))
        }
        return available
    }

    /// `--as-of`: an instant (RFC 3339, or a date meaning its midnight UTC) or `now`.
    enum AsOf: ExpressibleByArgument {
        case now
        case instant(Int64)
        /// Another store's instant, carried over with its pinned flag (replay).
        case carried(Int64, pinned: Bool)

        init?(argument: String) {
            if argument == "now" {
                self = .now
                return
            }
            let text = argument.count == 10 ? argument + "T00:00:00Z" : argument
            guard case .success(let t) = Timestamp.parse(text) else { return nil }
            self = .instant(t.epochSeconds)
        }
    }

    /// Refreshes the RFM view: at `asOf` if given (an instant pins it, `now` unpins), else at the
    /// pinned instant of the last refresh, else now.
    @discardableResult
    static func refresh(_ store: SQLiteProjectionStore, rules: Rules, asOf: AsOf?) throws -> SQLiteProjectionStore.RFMView {
        let now = Date()
        let nowSeconds = Int64(now.timeIntervalSince1970)
        let instant: Int64
        let pinned: Bool
        switch asOf {
        case .instant(let t): (instant, pinned) = (t, true)
        case .now: (instant, pinned) = (nowSeconds, false)
        case .carried(let t, let p): (instant, pinned) = (t, p)
        case nil: (instant, pinned) = try store.refreshInstant(now: now)
        }
        if let built = try store.projectionRulesHash(), built != Projector.hash(rules) {
            Out.note(
                "error: these rules link identities differently from the ones the store was built with; "
                    + "apply them with `kith replay --rules FILE` (add --dry-run to see the impact first)")
            throw ExitCode(2)
        }
        return try store.refreshRFM(rules: rules, asOf: instant, pinned: pinned, now: now)
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
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
    @Option(
        help: """
            Events per committed batch (each commits with its checkpoint). Default: an empty store is \
            rebuilt in one transaction (a kill starts it over), a catch-up commits every 50,000 events.
            """)
    var batchSize: Int?
    @Option(help: "table or json") var format: OutputFormat = .table
    @OptionGroup var priority: BatchPriority

    func run() throws {
        priority.apply()
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
                batchSize: batchSize.map { max(1, $0) }, progress: Out.stderrIsTerminal)
        }
        if format == .json { try Out.json(summary) } else { Out.print(Projection.render(summary)) }
        Out.flush()
    }
}
