/// The append-only event log: the one port every writer of events goes through, so the file log
/// of the embedded default, an in-memory reference and a database-backed log are interchangeable
/// and held to one contract (`EventLogContract` in the tests).
///
/// What every adapter promises:
/// - **Idempotent appends.** A line whose `(source, event_id)` key the log already holds, or
///   that repeats an earlier line of the same append, is counted as a duplicate, not written.
/// - **Contiguous positions.** Records are numbered 0, 1, 2, … in append order, with no gaps;
///   `endPosition` is the number of records.
/// - **Durable acknowledgement.** When `append` returns, its records survive a crash of the
///   process (and, where the medium allows, of the machine). A crash during an append leaves
///   the log as it was before it, or with a prefix of it, never with a half-written record.
public protocol EventLog: EventLogReading, AnyObject, Sendable {
    /// Appends the lines whose keys are new, in order, and returns once they are durable.
    func append(_ lines: EncodedLines) throws -> AppendOutcome
    /// Whether the log holds a record with this key. Throws when the log cannot tell (its
    /// keys unreadable, a database unreachable).
    func contains(_ key: EventKey) throws -> Bool
    /// Checks every stored record against what was written; each problem says what is wrong and
    /// where. Empty when the log is whole.
    func verify() throws -> [String]
    /// What opening the log had to repair after a crash (a torn tail cut, an index rebuilt), one
    /// line each; empty when nothing was.
    var recoveryNotes: [String] { get }
    /// Makes everything appended durable and gives up this handle's claim to write.
    func close() throws
}
