import Foundation
import KithCore
import KithDirectory
import KithLog
import KithPostgres
import KithProjections

/// One data directory's use cases, written once for every surface. The CLI's commands and the
/// server's routes parse, call an `Engine` and format what it returns; what a use case does
/// (catching up, refreshing RFM, checking the rules) is decided here, so the two surfaces cannot
/// drift apart.
public final class Engine: Sendable {
    /// The data directory this engine works in.
    public let directory: DataDirectory
    /// This directory's API keys and audit log.
    public let access: Access
    private let secretOnce: SecretOnce
    /// The PostgreSQL store that holds the log and projections (`directory.storeURL`), or nil
    /// for the embedded store in the directory.
    public let postgres: PostgresLocation?
    /// The PostgreSQL log `logReader()` hands out.
    private let postgresReader = OpenLogReader()

    /// An engine over `directory`. Nothing is read or created until a use case needs it: a
    /// command that only looks (at keys, at the log) leaves a mistyped directory as it was.
    /// Rules are not the engine's: each use case that needs them is handed the ones in force
    /// for that command or server.
    public init(directory: DataDirectory, secret: InstallationSecret? = nil) throws {
        self.directory = directory
        do { postgres = try directory.storeURL.map { try PostgresLocation(url: $0) } } catch {
            throw EngineError(.badArgument, "\(error)")
        }
        let once = SecretOnce(directory, known: secret)
        secretOnce = once
        access = Access(directory, secret: once.get)
    }

    /// The directory's installation secret, created on first need: it keys profile ids, the
    /// hashes that stand in for event ids, and the audit chain.
    public func installationSecret() throws -> InstallationSecret { try secretOnce.get() }

    /// The rules in force: `explicit` (a rules file), else `DIR/rules.yaml|yml|json`, else the
    /// standard rules.
    public static func rules(explicit: String?, in directory: DataDirectory) throws -> Rules {
        do { return try RulesFile.inForce(explicit: explicit, dataDirectory: directory).0 } catch {
            throw EngineError(.badRules, "\(error)")
        }
    }

    /// How this installation names profiles.
    public func profileIDs() throws -> ProfileIDs { try installationSecret().profileIDs }

    /// Which store is in force, as summary lines and `/healthz` name it: the PostgreSQL URL
    /// (never its password) or the embedded store in the data directory.
    public var storeName: String { postgres.map { "PostgreSQL \($0)" } ?? "embedded (\(directory.path))" }

    /// The store in force, its profile ids made this installation's way (a store from before
    /// ids were keyed is renamed on first open; its old ids stay as aliases).
    public func openStore() throws -> any ProfileStore {
        do {
            let store: any ProfileStore =
                if let postgres {
                    try PostgresProjectionStore(postgres)
                } else {
                    try SQLiteProjectionStore(path: directory.projections)
                }
            try store.adoptProfileIDs(try profileIDs())
            return store
        } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// A read-only view of the store in force: for a server that answers lookups while a
    /// writer commits. A SQLite view stays on the generation it opened (the server reopens it
    /// when a replay swaps); a PostgreSQL view follows the generation in force by itself.
    public func storeForReading() throws -> any ProfileQueries {
        guard let postgres else { return try Self.storeForReading(at: directory.projections) }
        do { return try PostgresProjectionStore(postgres, readOnly: true) } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// A read-only view of the store at `path` (a generation's file): for a server that
    /// answers lookups while a writer commits, and for lookup benchmarks.
    public static func storeForReading(at path: String) throws -> any ProfileQueries {
        do { return try SQLiteProjectionStore(path: path, readOnly: true) } catch {
            throw EngineError(wrapping: error)
        }
    }
}

extension Engine {
    /// Runs `body` holding the log's writer lock: the only process writing this data directory
    /// (a projection reads the log; it needs the lock, not the writer's key index).
    public func holdingTheLog<T>(purpose: String, _ body: () throws -> T) throws -> T {
        let lock: DirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: directory.log, withIntermediateDirectories: true)
            lock = try DirectoryLock(directory: directory.log, purpose: purpose)
        } catch {
            throw EngineError(wrapping: error)
        }
        return try withExtendedLifetime(lock) { try body() }
    }
}

extension Engine {
    /// The directory's event log, open for appending under its writer lock (`purpose` names the
    /// holder to anyone who finds it taken). `KITH_SEGMENT_BYTES` makes segments smaller, for
    /// tests and small disks.
    public func openLog(purpose: String) throws -> any EventLog {
        var options = EventLogWriter.Options()
        options.purpose = purpose
        if let bytes = ProcessInfo.processInfo.environment["KITH_SEGMENT_BYTES"].flatMap(Int.init), bytes >= 4_096 {
            options.segmentBytes = bytes
        }
        if let postgres {
            do { return try PostgresEventLog(postgres) } catch { throw EngineError(wrapping: error) }
        }
        do { return try FileEventLog(directory: directory.log, options: options) } catch let error as LogError
            where error.code == .locked
        {
            throw EngineError(.busy, "\(error)")
        } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// The log as it is now, for reading (no lock: readers never wait for the writer).
    /// `writingColumns` lets a projection that reads a segment whole leave its `.cols` file
    /// behind; only a caller holding the log's writer lock may ask for it.
    public func logReader(writingColumns: Bool = false) throws -> any EventLogReading {
        if let postgres {
            // One connection for every read of this engine (a server's timelines and
            // explanations), replaced once the server has closed it.
            do { return try postgresReader.open { try PostgresEventLog(postgres) } } catch {
                throw EngineError(wrapping: error)
            }
        }
        do {
            let reader = try EventLogReader(directory: directory.log)
            reader.writesColumns = writingColumns
            return reader
        } catch {
            throw EngineError(wrapping: error)
        }
    }
}

/// The installation secret, read or made once, on first need, by whichever use case asks first.
final class SecretOnce: @unchecked Sendable {
    // @unchecked: `secret` is guarded by `lock`.
    private let directory: DataDirectory
    private let lock = NSLock()
    private var secret: InstallationSecret?

    init(_ directory: DataDirectory, known: InstallationSecret?) {
        self.directory = directory
        secret = known
    }

    @Sendable func get() throws -> InstallationSecret {
        try lock.withLock {
            if let secret { return secret }
            do {
                let made = try InstallationSecret.of(directory)
                secret = made
                return made
            } catch {
                throw EngineError(wrapping: error)
            }
        }
    }
}

/// A PostgreSQL log kept open for reading, opened again once its connection has closed.
final class OpenLogReader: @unchecked Sendable {
    // @unchecked: `log` is guarded by `lock`.
    private let lock = NSLock()
    private var log: PostgresEventLog?

    func open(_ make: () throws -> PostgresEventLog) throws -> PostgresEventLog {
        try lock.withLock {
            if let log, log.isOpen { return log }
            let opened = try make()
            log = opened
            return opened
        }
    }
}
