import ArgumentParser
import Foundation
import KithServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and the dashboard (http://127.0.0.1:8080/ by default).",
        discussion: """
            Requests need an API key (kith keys create). Personal data is masked unless the key has \
            pii:read (sensitive data: sensitive:read), by the classification in the rules; every \
            unmasked answer is recorded in the audit log (kith audit verify). Each key is held to a \
            request rate (429 with Retry-After past it), and identifier lookups of masked data raise \
            an alarm (logged and audited) past --lookup-alarm in 10 minutes. The server reads the \
            projection store while ingest and projection run in other processes.
            """)
    @OptionGroup var data: DataOptions
    @OptionGroup var rules: RulesOption
    @Option(help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one; the chosen port is printed).") var port = 8080
    @Option(help: "Largest POST /v1/events body, in MB.") var maxBodyMb = 64
    @Option(help: "Connections open at once; more wait their turn.") var maxConnections = 256
    @Option(help: "Seconds a connection may send nothing (a half-sent request included) before it is closed.")
    var idleTimeout = 10
    @Option(help: "Seconds a request's head may take to arrive whole, however slowly it trickles in.")
    var headerTimeout = 15
    @Option(help: "Requests a second per key, on average.") var rate = 20.0
    @Option(help: "Requests per key at once before --rate applies.") var burst = 100
    @Option(help: "Identifier lookups of masked data by one key in 10 minutes that raise the alarm.") var lookupAlarm =
        200

    func run() async throws {
        var options = KithServer.Options(directory: data.directory, rules: try Projection.rules(rules, data.directory))
        options.host = host
        options.port = port
        options.maximumBodyBytes = max(1, maxBodyMb) << 20
        options.maximumConnections = max(1, maxConnections)
        options.idleTimeoutSeconds = Int64(max(1, idleTimeout))
        options.headerTimeoutSeconds = Int64(max(1, headerTimeout))
        options.limits.requestsPerSecond = max(0.01, rate)
        options.limits.burst = max(1, burst)
        options.limits.maskedLookupAlarm = max(1, lookupAlarm)
        let host = self.host
        do {
            try await KithServer(options: options).run { port in
                Out.print("listening on http://\(host):\(port)/")
                Out.flush()
            }
        } catch {
            Out.note("error: cannot serve on \(host):\(port): \(error)")
            throw ExitCode(2)
        }
    }
}
