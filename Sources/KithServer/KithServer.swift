import CMalloc
import Foundation
import Hummingbird
import HummingbirdCore
import KithCore
import KithDirectory
import Logging
import NIOCore

/// `kith serve`: the HTTP API and dashboard over one data directory. It only reads the
/// projection store (WAL snapshots: a reader never sees half a batch and is never locked out)
/// and writes the log only for `POST /v1/events`.
public struct KithServer: Sendable {
    public struct Options: Sendable {
        public var directory: DataDirectory
        public var rules: Rules
        public var host = "127.0.0.1"
        public var port = 8080
        public var maximumBodyBytes = 64 << 20
        public var limits = AccessLimits()
        /// Connections open at once; past it, new ones wait in the listen backlog.
        public var maximumConnections = 256
        /// A connection that sends nothing (a half-sent request included) for this long is closed.
        public var idleTimeoutSeconds: Int64 = 10
        /// A request head must arrive whole within this long (of the connection opening or the
        /// previous answer), however slowly its bytes trickle in.
        public var headerTimeoutSeconds: Int64 = 15

        public init(directory: DataDirectory, rules: Rules) {
            self.directory = directory
            self.rules = rules
        }
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    /// Serves until SIGINT or SIGTERM; `onListening` gets the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        // A server lives long and sees bodies of any size come and go: large blocks are mapped
        // and unmapped (never kept in a heap that cannot shrink), and freed heap goes back soon.
        // (Batch commands tune the other way: see KithMain.)
        _ = mallopt(M_MMAP_THRESHOLD, 1 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 8 << 20)
        _ = mallopt(M_TOP_PAD, 1 << 20)
        // Many threads answer at once: each may have a heap again (batch commands keep one).
        _ = mallopt(M_ARENA_MAX, Int32(8 * ProcessInfo.processInfo.activeProcessorCount))
        var logger = Logger(label: "kith.serve")
        logger.logLevel = .warning
        let app = Application(
            router: try makeRouter(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [HeaderDeadline(deadline: .seconds(options.headerTimeoutSeconds))],
                    idleTimeout: .seconds(options.idleTimeoutSeconds))),
            configuration: .init(
                address: .hostname(options.host, port: options.port), serverName: "kith", backlog: 1024,
                availableConnectionsDelegate: MaximumAvailableConnections(options.maximumConnections, logger: logger)),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? options.port) },
            logger: logger)
        try await app.runService()
    }

    func makeRouter() throws -> Router<KithRequestContext> {
        let state = try ServerState(directory: options.directory, rules: options.rules, limits: options.limits)
        let router = Router(context: KithRequestContext.self)
        // Middleware applies to the routes added after it.
        router.add(middleware: ProblemMiddleware(metrics: state.metrics))
        router.add(middleware: AuthMiddleware(state: state))
        ProfileRoutes(state: state).add(to: router)
        SegmentRoutes(state: state).add(to: router)
        OperationsRoutes(state: state, intake: EventIntake(state: state), maximumBodyBytes: options.maximumBodyBytes)
            .add(to: router)
        DashboardRoutes().add(to: router)
        return router
    }
}
