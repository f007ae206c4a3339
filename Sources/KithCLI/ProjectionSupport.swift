import ArgumentParser
import Foundation
import KithCore
import KithDirectory
import KithEngine
import KithLog
import KithProjections

/// `--rules FILE` (else `DIR/rules.yaml`, else the standard rules).
struct RulesOption: ParsableArguments {
    @Option(help: "Rules file (YAML or JSON; default: DIR/rules.yaml if present, else the standard rules).")
    var rules: String?
}

enum Projection {
    /// The engine over `data`; a directory whose secret cannot be read or made stops the command.
    static func engine(_ data: DataDirectory) throws -> Engine {
        try reporting { try Engine(directory: data) }
    }

    /// The store in force, its profile ids made this installation's way.
    static func openStore(_ data: DataDirectory) throws -> any ProfileStore {
        let engine = try engine(data)
        return try reporting { try engine.openStore() }
    }

    /// How this data directory names profiles (keyed with its installation secret).
    static func profileIDs(_ data: DataDirectory) throws -> ProfileIDs {
        try reporting { try engine(data).profileIDs() }
    }

    static func rules(_ option: RulesOption, _ data: DataDirectory) throws -> Rules {
        try reporting { try Engine.rules(explicit: option.rules, in: data) }
    }

    /// Brings the projections up to the end of the log (the caller holds the writer lock), then
    /// refreshes the RFM view; shows progress on a terminal.
    static func catchUp(
        _ data: DataDirectory, rules: Rules, rebuild: Bool = false, batchSize: Int? = nil, progress: Bool,
        storePath: String? = nil, asOf: AsOf? = nil, label: String = "project"
    ) throws -> Projector.Summary {
        let engine = try engine(data)
        var options = Engine.CatchUp(rebuild: rebuild, batchSize: batchSize, storePath: storePath, asOf: asOf)
        if progress { options.progress = ProgressLine(label: label).show }
        defer { if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) } }
        return try reporting { try engine.catchUp(under: rules, options) }
    }

    /// `--as-of`: an instant (RFC 3339, or a date meaning its midnight UTC) or `now`.
    typealias AsOf = RFMInstant

    /// Refreshes the RFM view (see `Engine.refreshRFM`).
    @discardableResult
    static func refresh(_ store: any ProfileStore, rules: Rules, asOf: AsOf?, in data: DataDirectory) throws
        -> RFMView
    {
        let engine = try engine(data)
        return try reporting { try engine.refreshRFM(store, under: rules, asOf: asOf) }
    }

    /// Runs `body`; an engine or store error is printed with the command that mends it, and
    /// exits 2.
    @discardableResult
    static func reporting<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let exit as ExitCode {
            throw exit
        } catch {
            Out.note(message(for: EngineError(wrapping: error)))
            throw ExitCode(2)
        }
    }

    /// `error: …` and, where a command mends it, that command.
    static func message(for error: EngineError) -> String {
        let remedy: String? =
            switch error.code {
            case .rulesChanged: "apply them with `kith replay --rules FILE` (add --dry-run to see the impact first)"
            case .needsRebuild: "rebuild it from the log with kith project --rebuild"
            case .needsMigration: "run kith project to migrate it"
            case .logDamaged: "run kith log verify"
            case .noStore: "run kith ingest or kith project"
            case .noRFMView: "run kith rfm refresh"
            default: nil
            }
        return "error: \(error)" + (remedy.map { "; \($0)" } ?? "")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }

    /// The projection's summary line; `store` names the store it went into.
    static func render(_ s: Projector.Summary, store: String? = nil) -> String {
        let line = String(
            format:
                "projected %@ events (positions %llu..<%llu)%@ in %.2f s, %@ events/s; %@ new profiles, %@ merges, %@ splits",
            s.events.grouped, s.fromPosition, s.toPosition, store.map { " into \($0)" } ?? "", s.seconds,
            Int(s.eventsPerSecond).grouped, s.newProfiles.grouped, s.merges.grouped, s.splits.grouped)
        guard let t = s.stages else { return line }
        let identity =
            t.identityAlongside
            ? String(format: "identity %.2f s alongside the values (%.2f s waited)", t.identity, t.waitedForIdentity)
            : String(format: "identity %.2f s", t.identity)
        return line
            + String(
                format: "\n  stages: read %.2f s, values %.2f s, %@, commit %.2f s", t.read, t.values, identity,
                t.commit)
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
        let engine = try Projection.engine(data.directory)
        let summary = try Projection.reporting {
            try engine.holdingTheLog(purpose: "kith project") {
                try Projection.catchUp(
                    data.directory, rules: try Projection.rules(rules, data.directory), rebuild: rebuild,
                    batchSize: batchSize.map { max(1, $0) }, progress: Out.stderrIsTerminal)
            }
        }
        if format == .json {
            try Out.json(Stored(summary, store: engine.storeName))
        } else {
            Out.print(Projection.render(summary, store: engine.storeName))
        }
        Out.flush()
    }
}

extension RFMInstant: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
}

/// A summary as `--format json` gives it, with the store it is about (`store`) beside its own
/// fields.
struct Stored<Summary: Encodable>: Encodable {
    var summary: Summary
    var store: String

    init(_ summary: Summary, store: String) {
        self.summary = summary
        self.store = store
    }

    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: StoreKey.self)
        try c.encode(store, forKey: .store)
    }

    enum StoreKey: String, CodingKey { case store }
}
