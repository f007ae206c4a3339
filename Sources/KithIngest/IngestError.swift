/// A failure that stops one input file (not a bad line: those are quarantined).
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String { case unreadableFile, truncatedFile, badMapping, badArgument, io, quarantineFull }
        let value: Value
        public static let unreadableFile = Code(value: .unreadableFile)
        public static let truncatedFile = Code(value: .truncatedFile)
        public static let badMapping = Code(value: .badMapping)
        public static let badArgument = Code(value: .badArgument)
        public static let io = Code(value: .io)
        /// The quarantine reached its size bound: bad lines could not be kept, so none are taken.
        public static let quarantineFull = Code(value: .quarantineFull)
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
