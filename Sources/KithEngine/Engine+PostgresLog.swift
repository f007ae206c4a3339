import KithCore
import KithPostgres

/// The log kept in PostgreSQL (`--store postgres://…`): opening it, counting it, checking it.
extension Engine {
    /// The event log kept in PostgreSQL at `url` (`postgres://user@host:port/db`): the log
    /// `--store` names. Its tables are made on first use.
    public static func postgresLog(_ url: String) throws -> PostgresEventLog {
        do { return try PostgresEventLog(PostgresLocation(url: url)) } catch { throw EngineError(wrapping: error) }
    }

    /// `logStatistics` of the log in PostgreSQL at `url`.
    public static func logStatistics(ofPostgres url: String) throws -> LogStatistics {
        let log = try postgresLog(url)
        defer { try? log.close() }
        var statistics = try logStatistics(of: log)
        statistics.store = log.location.description
        return statistics
    }

    /// Checks the log in PostgreSQL at `url` (see `PostgresEventLog.verify`): where it is, how
    /// many events it holds, and each problem found.
    public static func verifyLog(ofPostgres url: String) throws -> (store: String, events: UInt64, problems: [String]) {
        let log = try postgresLog(url)
        defer { try? log.close() }
        do { return (log.location.description, log.endPosition, try log.verify()) } catch {
            throw EngineError(wrapping: error)
        }
    }
}
