import PostgresNIO

/// Held while one process projects into a store, from reading its checkpoint to its last
/// commit: the projector loads the parts of the graph it needs as it goes and takes new value
/// ids from what it read first, so a second projector committing meanwhile would hand it ids it
/// never made. Several servers on one store therefore project one after another (each then
/// starts from where the last one stopped); the embedded store has the log's lock file for this.
///
/// A session-level advisory lock: a process that dies releases it with its connection.
public final class PostgresProjectorLock {
    private let session: PostgresSession

    /// The first word of the lock ('kitr'); the second is the schema's hash.
    static let lockClass: Int32 = 0x6B69_7472

    /// Waits for the lock and holds it until `release()` or this object goes.
    public init(_ location: PostgresLocation) throws {
        session = try PostgresSession(location)
        try session.query(
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(\(Self.lockClass), hashtext('\(location.schema)'))"),
            doing: "waiting for another process's projection")
    }

    /// Lets the next projector go.
    public func release() { try? session.close() }

    deinit { release() }
}
