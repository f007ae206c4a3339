import Foundation
import KithCore
import KithDirectory
import KithEngine
import KithProjections

/// Profile lookups by identifier as the API does them (read-only store, resolve, whole view),
/// on values sampled evenly from the generator's truth.
enum LookupSample {
    struct Person: Decodable { var identifiers: [String: [String]] }

    static func run(data: DataDirectory, truth: String, count: Int) throws -> [Double] {
        let store = try Engine.storeForReading(at: data.projections)
        let rules = try RulesFile.inForce(explicit: nil, dataDirectory: data).0
        let lines = try String(contentsOfFile: truth, encoding: .utf8).split(separator: "\n")
        guard !lines.isEmpty, count > 0 else { return [] }
        let stride = max(1, lines.count / count)
        var references: [String] = []
        for line in Swift.stride(from: 0, to: lines.count, by: stride).prefix(count).map({ lines[$0] }) {
            let person = try JSONDecoder().decode(Person.self, from: Data(line.utf8))
            if let (kind, values) = person.identifiers.sorted(by: { $0.key < $1.key }).first(where: {
                !$0.value.isEmpty
            }) {
                references.append(kind + ":" + values[0])
            }
        }
        let clock = ContinuousClock()
        var seconds: [Double] = []
        seconds.reserveCapacity(references.count)
        for reference in references {
            let start = clock.now
            do { _ = try Engine.profile(reference, in: store, traitRules: rules.traits) } catch let error as EngineError
                where error.code == .noProfile || error.code == .noCurrentProfile
            {
                // A value no profile holds (a junk value the guards stopped) is a lookup too.
            }
            seconds.append((clock.now - start).inSeconds)
        }
        return seconds.sorted()
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
    }
}
