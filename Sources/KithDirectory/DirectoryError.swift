/// A failure in the data directory's own files (the generation pointer, rules, secret, keys,
/// audit), naming the file. It describes the problem; the surface adds the command to run.
public struct DirectoryError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String { case io, badArgument }
        let value: Value
        /// A file could not be read, written, synced or renamed.
        public static let io = Code(value: .io)
        /// What was asked for, or what a file holds, is not valid; the message says what is.
        public static let badArgument = Code(value: .badArgument)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var file: String?

    public init(_ code: Code, _ message: String, file: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
    }

    public var description: String { file.map { "\($0): \(message)" } ?? message }
}
