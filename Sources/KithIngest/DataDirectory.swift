/// The folder Kith keeps everything in (`--data DIR`, `KITH_DATA`, default `./kith-data`).
public struct DataDirectory: Sendable {
    public var path: String
    public init(_ path: String) { self.path = path }
    public var log: String { path + "/log" }
    public var quarantine: String { path + "/quarantine" }
    public var projections: String { path + "/projections.sqlite" }
}
