import KithCore
import ArgumentParser
import KithEngine
import KithProjections

/// `kith`: the command-line surface. Thin: it parses input, calls the layers, formats output.
public struct KithCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kith",
        abstract:
            "An event-sourced customer data platform: ingest channel exports into one durable log and project unified profiles.",
        subcommands: [
            IngestCommand.self, ProjectCommand.self, ReplayCommand.self, ProfileCommand.self, ProfilesCommand.self,
            IdentityCommand.self, RFMCommand.self, SegmentCommand.self, LifecycleCommand.self, RulesCommand.self,
            LogCommand.self, StoreCommand.self, QuarantineCommand.self, ServeCommand.self, KeysCommand.self,
            AuditCommand.self,
            GenerateCommand.self, DemoCommand.self, BenchCommand.self,
        ])

    public init() {}
}

extension KithCommand {
    /// Ends the process for an error no command caught: a store's or the engine's is printed
    /// with the command that mends it (exit status 2); the rest as ArgumentParser prints them.
    public static func exit(reporting error: any Error) -> Never {
        if error is ProjectionError || error is EngineError {
            Out.note(Projection.message(for: EngineError(wrapping: error)))
            Out.flush()
            Self.exit(withError: ExitCode(2))
        }
        Self.exit(withError: error)
    }
}
