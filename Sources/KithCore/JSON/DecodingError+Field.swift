extension DecodingError {
    /// What a person editing a rules or mapping file needs: the field, by its path in the file,
    /// and what is wrong with it (`required field 'rfm.currency' is missing`).
    public var fieldDescription: String {
        func path(_ p: [any CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let ctx):
            let parent = path(ctx.codingPath)
            return "required field '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)' is missing"
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx):
            return "field '\(path(ctx.codingPath))': \(ctx.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
