import ArgumentParser
import Foundation
import KithServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the HTTP API and the dashboard (http://127.0.0.1:8080/ by default).",
        discussion: """
            Requests need an API key (kith keys create). Personal data is masked unless the key has \
            pii:read; every unmasked answer is recorded in the audit log (kith audit list). The server \
            reads the projection store while ingest and projection run in other processes.
            """)
    @OptionGroup var data: DataOptions
    @OptionGroup var rules: RulesOption
    @Option(help: "Address to bind (loopback by default).") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one; the chosen port is printed).") var port = 8080
    @Option(help: "Largest POST /v1/events body, in MB.") var maxBodyMb = 64

    func run() async throws {
        var options = KithServer.Options(directory: data.directory, rules: try Projection.rules(rules, data.directory))
        options.host = host
        options.port = port
        options.maximumBodyBytes = max(1, maxBodyMb) << 20
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
