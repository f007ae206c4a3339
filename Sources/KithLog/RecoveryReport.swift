/// What opening the log had to repair: torn tails cut, derived key files rebuilt.
public struct RecoveryReport: Sendable, Equatable {
    public struct Cut: Sendable, Equatable, CustomStringConvertible {
        public var segment: String
        public var offset: Int
        public var bytesCut: Int
        public var reason: String
        public var description: String {
            "\(segment): cut \(bytesCut) bytes of torn tail at offset \(offset) (\(reason))"
        }
    }

    public var cuts: [Cut] = []
    public var rebuiltKeyFiles: [String] = []

    public var isClean: Bool { cuts.isEmpty && rebuiltKeyFiles.isEmpty }

    public var lines: [String] {
        cuts.map(\.description) + rebuiltKeyFiles.map { "\($0): rebuilt the idempotency keys from the segment" }
    }
}
