/// The port projections read events through, so a PostgreSQL-backed log can slot in.
public protocol EventLogReading {
    /// One past the last readable position.
    var endPosition: UInt64 { get }
    /// Calls `body` with each record's position and canonical line, from `position` on.
    func forEachLine(
        from position: UInt64, limit: Int?, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool) throws
}
