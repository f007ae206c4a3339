#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every failure of the event log, with the file and offset where it happened.
///
/// The code is an opaque struct so cases can be added without breaking callers.
public struct LogError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Value: String { case io, diskFull, locked, corrupt, poisoned, invalidArgument }
        let value: Value
        public static let io = Code(value: .io)
        public static let diskFull = Code(value: .diskFull)
        public static let locked = Code(value: .locked)
        public static let corrupt = Code(value: .corrupt)
        public static let poisoned = Code(value: .poisoned)
        public static let invalidArgument = Code(value: .invalidArgument)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var path: String?
    public var offset: Int?

    public init(_ code: Code, _ message: String, path: String? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.offset = offset
    }

    package static func io(_ op: String, path: String, errno code: Int32) -> LogError {
        if code == ENOSPC || code == EDQUOT {
            return LogError(.diskFull, "\(op) failed: no space left on the device", path: path)
        }
        return LogError(.io, "\(op) failed: \(systemErrorText(code))", path: path)
    }

    public var description: String {
        var where_ = ""
        if let path { where_ = path }
        if let offset { where_ += where_.isEmpty ? "offset \(offset)" : ", offset \(offset)" }
        return where_.isEmpty ? message : "\(where_): \(message)"
    }
}
