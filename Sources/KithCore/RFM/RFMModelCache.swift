import Foundation

/// The last decoded RFM model and the text it came from: a profile read needs the model on
/// every request, and decoding it each time would cost more than the rest of the read.
/// Shared by every store, which keep the model as the same canonical text.
package final class RFMModelCache: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    package static let shared = RFMModelCache()
    private let lock = NSLock()
    private var text = ""
    private var model: RFMModel?

    /// The model `text` holds, decoded once per distinct text.
    package func model(for text: String) throws -> RFMModel {
        lock.lock()
        defer { lock.unlock() }
        if let model, text == self.text { return model }
        do {
            let decoded = try JSONDecoder().decode(RFMModel.self, from: Data(text.utf8))
            self.text = text
            model = decoded
            return decoded
        } catch {
            throw ProjectionError(.noRFMView, "the stored RFM model cannot be read (\(error))")
        }
    }
}
