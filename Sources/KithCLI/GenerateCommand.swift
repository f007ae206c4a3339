import ArgumentParser
import Foundation
import KithGenerator

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write realistic channel exports with ground truth (deterministic for a seed).",
        discussion: """
            Writes app/miniprogram/web/service NDJSON, POS/Tmall/survey CSV with their mappings,
            and truth/ (persons.ndjson: who owns which identifier values; expected.json: what
            ingesting each file must count; placeholders.json: cashier placeholder phones).
            """)

    @Option(help: "Number of people.") var persons = 1_000
    @Option(help: "Random seed; the same seed gives byte-identical files.") var seed: UInt64 = 1
    @Option(help: "Output directory.") var out = "kith-exports"

    func run() throws {
        let summary = try Generator(persons: persons, seed: seed).write(to: out)
        Out.print(
            "wrote \(summary.records.grouped) records for \(persons.grouped) persons to \(out)/ "
                + "(expected: \(summary.accepted.grouped) accepted, \(summary.duplicates.grouped) duplicates, "
                + "\(summary.quarantined.grouped) quarantined, \(summary.skipped.grouped) skipped)")
        Out.flush()
    }
}
