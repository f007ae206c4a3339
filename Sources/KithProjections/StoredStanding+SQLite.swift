import GRDB
import KithCore

/// How the SQLite store writes and reads a standing's typed columns in the `excluded` table.
extension StoredStanding {
    /// The columns, in the order `columns` binds them and `standing(in:of:)` reads them.
    static let selection = "kind, partners, rule, evidence, evidence_kind, evidence_count, evidence_limit"

    /// The values to bind for `selection`.
    var columns: [RowWriter.Value] {
        func integer(_ v: Int?) -> RowWriter.Value { v.map { .integer(Int64($0)) } ?? .null }
        func text(_ v: String?) -> RowWriter.Value { v.map { .text($0) } ?? .null }
        return [
            .integer(Int64(kind)), integer(partners), text(rule), integer(evidence), text(evidenceKind),
            integer(evidenceCount), integer(evidenceLimit),
        ]
    }

    /// The standing in `row`'s `selection` columns, which start at its second column (the first
    /// is the value `node`, named in the error).
    static func standing(in row: Row, of node: Int64) throws -> IdentityResolver.Standing {
        let stored = StoredStanding(
            kind: row[1], partners: row[2], rule: row[3], evidence: row[4], evidenceKind: row[5],
            evidenceCount: row[6], evidenceLimit: row[7])
        guard let standing = stored.standing else {
            throw ProjectionError(
                .needsRebuild, "value \(node) has a standing no version of Kith wrote (kind \(stored.kind))")
        }
        return standing
    }
}
