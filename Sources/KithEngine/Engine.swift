import Foundation
import KithCore
import KithDirectory
import KithLog
import KithProjections

/// One data directory's use cases, written once for every surface. The CLI's commands and the
/// server's routes parse, call an `Engine` and format what it returns; what a use case does
/// (catching up, refreshing RFM, checking the rules) is decided here, so the two surfaces cannot
/// drift apart.
public final class Engine: Sendable {
    /// The data directory this engine works in.
    public let directory: DataDirectory
    /// Keys this installation's profile ids (and nothing the engine hands out is unkeyed).
    public let secret: InstallationSecret

    /// An engine over `directory`. Creates the directory's installation secret if it has none
    /// yet. Rules are not the engine's: each use case that needs them is handed the ones in
    /// force for that command or server.
    public init(directory: DataDirectory, secret: InstallationSecret? = nil) throws {
        self.directory = directory
        do { self.secret = try secret ?? InstallationSecret.of(directory) } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// The rules in force: `explicit` (a rules file), else `DIR/rules.yaml|yml|json`, else the
    /// standard rules.
    public static func rules(explicit: String?, in directory: DataDirectory) throws -> Rules {
        do { return try RulesFile.inForce(explicit: explicit, dataDirectory: directory).0 } catch {
            throw EngineError(.badRules, "\(error)")
        }
    }

    /// How this installation names profiles.
    public var profileIDs: ProfileIDs { secret.profileIDs }

    /// The store in force, its profile ids made this installation's way (a store from before
    /// ids were keyed is renamed on first open; its old ids stay as aliases).
    public func openStore() throws -> any ProfileStore {
        do {
            let store = try SQLiteProjectionStore(path: directory.projections)
            try store.adoptProfileIDs(profileIDs)
            return store
        } catch {
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
        do { return try FileEventLog(directory: directory.log, options: options) } catch let error as LogError
            where error.code == .locked
        {
            throw EngineError(.busy, "\(error)")
        } catch {
            throw EngineError(wrapping: error)
        }
    }

    /// The log as it is now, for reading (no lock: readers never wait for the writer).
    public func logReader() throws -> any EventLogReading {
        do { return try EventLogReader(directory: directory.log) } catch {
            throw EngineError(wrapping: error)
        }
    }
}
