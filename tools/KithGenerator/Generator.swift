import Foundation
import KithCore

/// Writes realistic channel exports for `persons` people, with the ground truth a test or a
/// scorer needs: who owns which identifier values, and what ingesting each file must do.
///
/// For example: `try Generator(persons: 1_000, seed: 7).write(to: "demo")`.
public struct Generator: Sendable {
    public var persons: Int
    public var seed: UInt64
    /// Share of lines written with a known defect, and of lines exported twice.
    public var defectRate = 0.004
    public var duplicateRate = 0.01
    /// Share of people who type a generic junk address that others type too (see `JunkTraps`).
    public var junkRate = 0.02

    public init(persons: Int, seed: UInt64 = 1) {
        self.persons = persons
        self.seed = seed
    }

    public struct Summary: Codable, Sendable {
        public var persons: Int
        public var seed: UInt64
        public var files: [String]
        public var records: Int
        public var accepted: Int
        public var duplicates: Int
        public var quarantined: Int
        public var skipped: Int
    }

    static let placeholderPhones = ["13800000000", "13888888888"]
    static let start = 1_735_660_800  // 2025-01-01T00:00:00+08:00
    static let span = 670 * 86_400

    @discardableResult
    public func write(to directory: String) throws -> Summary {
        try FileManager.default.createDirectory(atPath: directory + "/truth", withIntermediateDirectories: true)
        for (name, text) in ExampleMappings.all {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
        var rng = SplitMix64(seed: seed)
        let app = try ChannelFile(directory: directory, name: "app.ndjson", format: "ndjson")
        let mini = try ChannelFile(directory: directory, name: "miniprogram.ndjson", format: "ndjson")
        let web = try ChannelFile(directory: directory, name: "web.ndjson", format: "ndjson")
        let service = try ChannelFile(directory: directory, name: "service.ndjson", format: "ndjson")
        let pos = try ChannelFile(directory: directory, name: "pos.csv", format: "csv", mapping: "pos.mapping.yaml")
        let tmall = try ChannelFile(
            directory: directory, name: "tmall.csv", format: "csv", mapping: "tmall.mapping.yaml")
        let survey = try ChannelFile(
            directory: directory, name: "survey.csv", format: "csv", mapping: "survey.mapping.yaml")
        pos.raw("小票号,门店,交易类型,交易时间,会员卡号,手机号,顾客姓名,实付金额")
        tmall.raw("订单编号,买家会员名,收货人姓名,收货省份,联系手机,买家实际支付金额,订单状态,订单创建时间")
        survey.raw("答卷编号,提交时间,手机号码,电子邮箱,推荐意愿,意见")

        let truthFile = try ChannelFile(directory: directory + "/truth", name: "persons.ndjson", format: "truth")
        var writer = EventWriter(rng: rng, defectRate: defectRate, duplicateRate: duplicateRate)
        var junk = JunkTraps(seed: seed, rate: junkRate)
        for index in 1...max(1, persons) {
            let person = GeneratedPerson(index: index, rng: &rng)
            junk.consider(person)
            truthFile.raw(Generator.json(["person": person.id, "identifiers": person.truthIdentifiers]))
            writer.rng = SplitMix64(seed: rng.next())
            writer.write(
                person, app: app, mini: mini, web: web, service: service, pos: pos, tmall: tmall, survey: survey)
        }
        // Anonymous POS sales under the cashier's placeholder phones.
        for n in 0..<max(1, persons / 20) {
            writer.anonymousSale(n, pos: pos)
        }
        let traps = junk.write(web: web, service: service, writer: &writer)
        let files = [app, mini, web, service, pos, tmall, survey]
        for f in files { try f.close() }
        try truthFile.close()
        let truths = files.map(\.truth)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(truths).write(to: URL(fileURLWithPath: directory + "/truth/expected.json"))
        try encoder.encode(traps).write(to: URL(fileURLWithPath: directory + "/truth/junk.json"))
        let storePhones = try EventWriter.storePhones.map { try IdentifierNormalizer.normalize(.phone, $0).get() }
        try encoder.encode(Generator.placeholderPhones.map { "+86" + $0 } + storePhones)
            .write(to: URL(fileURLWithPath: directory + "/truth/placeholders.json"))
        let summary = Summary(
            persons: persons, seed: seed, files: truths.map(\.file),
            records: truths.reduce(0) { $0 + $1.records }, accepted: truths.reduce(0) { $0 + $1.accepted },
            duplicates: truths.reduce(0) { $0 + $1.duplicates },
            quarantined: truths.reduce(0) { $0 + $1.quarantined.values.reduce(0, +) },
            skipped: truths.reduce(0) { $0 + $1.skipped })
        try encoder.encode(summary).write(to: URL(fileURLWithPath: directory + "/truth/summary.json"))
        return summary
    }

    static func json(_ object: Any) -> String {
        let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
