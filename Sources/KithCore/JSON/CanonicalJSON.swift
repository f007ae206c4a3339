import Foundation

/// JSON with sorted keys and unescaped slashes: the same value always gives the same text, so
/// every store keeps the RFM model and rules as the same bytes.
package enum CanonicalJSON {
    package static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
