import ArgumentParser

/// `kith`: the command-line surface. Thin: it parses input, calls the layers, formats output.
public struct KithCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kith",
        abstract:
            "An event-sourced customer data platform: ingest channel exports into one durable log and project unified profiles.",
        subcommands: [
            IngestCommand.self, ProjectCommand.self, ReplayCommand.self, ProfileCommand.self, ProfilesCommand.self,
            IdentityCommand.self, RFMCommand.self, SegmentCommand.self, LifecycleCommand.self, RulesCommand.self,
            LogCommand.self, QuarantineCommand.self, ServeCommand.self, KeysCommand.self, AuditCommand.self,
            GenerateCommand.self, DemoCommand.self, BenchCommand.self,
        ])

    public init() {}
}
