import Foundation
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithIngest

@Suite("CSV exports with mappings")
struct CSVMappingTests {
    @Test("The shipped example mappings are the generator's and load from YAML")
    func examplesMatchGenerator() throws {
        for (file, text) in ExampleMappings.all {
            let path = repositoryRoot + "/schemas/examples/" + file
            #expect(try String(contentsOfFile: path, encoding: .utf8) == text, "\(file) drifted from ExampleMappings")
            _ = try Mapping.load(from: path)
        }
    }

    /// Issue 15: a GBK export failed with a list of garbled column names and no word of GBK.
    @Test("A GBK export fails with the hint to convert it, naming iconv")
    func gbkExportGetsTheHint() async throws {
        let scratch = Scratch()
        let examples = repositoryRoot + "/schemas/examples"
        let gbk = scratch.path + "/pos.csv"
        let iconv = Process()
        iconv.executableURL = URL(fileURLWithPath: "/usr/bin/iconv")
        iconv.arguments = ["-f", "UTF-8", "-t", "GBK", examples + "/pos.csv"]
        let out = Pipe()
        iconv.standardOutput = out
        try iconv.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        iconv.waitUntilExit()
        #expect(String(data: bytes, encoding: .utf8) == nil, "the converted file should not be UTF-8")
        try bytes.write(to: URL(fileURLWithPath: gbk))
        try FileManager.default.copyItem(
            atPath: examples + "/pos.mapping.yaml", toPath: scratch.path + "/pos.mapping.yaml")
        let summary = try await ingest([gbk], into: scratch.data)
        let error = try #require(summary.files[0].error)
        #expect(error.contains("GBK") && error.contains("iconv -f GBK -t UTF-8"))
        #expect(summary.accepted == 0)
    }

    @Test("The shipped example CSVs ingest with the counts recorded beside them")
    func examplesIngest() async throws {
        let scratch = Scratch()
        let examples = repositoryRoot + "/schemas/examples"
        let expected = try JSONDecoder().decode(
            [ExpectedFile].self, from: Data(contentsOf: URL(fileURLWithPath: examples + "/expected.json")))
        for truth in expected {
            let summary = try await ingest([examples + "/" + truth.file], into: scratch.data)
            #expect(summary.files[0].error == nil, "\(truth.file): \(summary.files[0].error ?? "")")
            #expect(summary.accepted == truth.accepted, "\(truth.file)")
            #expect(summary.skipped == truth.skipped, "\(truth.file)")
            #expect(summary.quarantined == truth.quarantined.values.reduce(0, +), "\(truth.file)")
        }
    }

    @Test("Local times become RFC 3339 with the zone's offset; values are typed; rows can be skipped")
    func mappingSemantics() async throws {
        let scratch = Scratch()
        let csv = scratch.write(
            "pos.csv",
            """
            小票号,门店,交易类型,交易时间,会员卡号,手机号,顾客姓名,实付金额
            R1,SH01,销售,2026/03/01 10:15,M-1,138 0013 8000,李伟,"1,280.50"
            R2,SH01,作废,2026/03/01 10:16,M-1,,李伟,10.00
            R3,SH01,退货,2026/03/02 09:00,M-1,,"李""伟",58.00

            """)
        let mapping = repositoryRoot + "/schemas/examples/pos.mapping.yaml"
        let summary = try await ingest([csv], into: scratch.data, options: Ingestor.Options(mappingPath: mapping))
        #expect(summary.accepted == 2)
        #expect(summary.skipped == 1)
        let lines = try logLines(scratch.data)
        #expect(
            lines[0]
                == #"{"event_id":"SH01-R1","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-03-01T10:15:00+08:00","identifiers":{"member_id":"M-1","phone":"+8613800138000"},"traits":{"name":"李伟"},"properties":{"amount":"1280.50","currency":"CNY","order_id":"R1","store_id":"SH01"}}"#
        )
        #expect(lines[1].contains(#""name":"refund""#))
        #expect(lines[1].contains(#""traits":{"name":"李\"伟"}"#))
    }

    @Test("A bad cell is quarantined with file, line, column and the expected format")
    func badCellReason() async throws {
        let scratch = Scratch()
        let csv = scratch.write(
            "pos.csv",
            """
            小票号,门店,交易类型,交易时间,会员卡号,手机号,顾客姓名,实付金额
            R1,SH01,销售,2026/13/01 10:15,M-1,,李伟,10.00
            R2,SH01,销售,2026/03/01 10:15,M-1,,李伟,1.2.3
            R3,SH01,销售,2026/03/01 10:15,,12345,李伟,10.00
            R4,SH01,赠品,2026/03/01 10:15,M-1,,李伟,10.00

            """)
        let mapping = repositoryRoot + "/schemas/examples/pos.mapping.yaml"
        _ = try await ingest([csv], into: scratch.data, options: Ingestor.Options(mappingPath: mapping))
        let records = try QuarantineStore(directory: scratch.data.quarantine).records()
        #expect(records.map(\.kind) == [.badTimestamp, .badAmount, .badIdentifier, .schemaViolation])
        #expect(records.map(\.line) == [2, 3, 4, 5])
        #expect(
            records[0].reason
                == "column `交易时间`: '2026/13/01 10:15' is not a date in the mapping's format 'yyyy/MM/dd HH:mm'")
        #expect(records[1].reason.hasPrefix("column `实付金额`: amount '1.2.3'"))
        #expect(records[2].reason.hasPrefix("column `手机号`: phone"))
        #expect(records[3].reason.contains("value '赠品' is not in the mapping's values"))
        #expect(records.allSatisfy { $0.csvHeader?.hasPrefix("小票号") == true })
    }

    @Test("A mapping naming a column the header lacks fails that file with both named")
    func missingColumn() async throws {
        let scratch = Scratch()
        let csv = scratch.write("pos.csv", "小票号,门店\nR1,SH01\n")
        let summary = try await ingest(
            [csv], into: scratch.data,
            options: Ingestor.Options(mappingPath: repositoryRoot + "/schemas/examples/pos.mapping.yaml"))
        let error = try #require(summary.files[0].error)
        #expect(error.contains("`交易时间`"))
        #expect(error.contains("header: 小票号, 门店"))
    }

    @Test("A broken mapping file is reported with the field at fault")
    func brokenMapping() throws {
        let scratch = Scratch()
        let path = scratch.write(
            "bad.mapping.yaml", "source: pos\ntype: transaction\nname: x\nidentifiers:\n  phone: 手机\n")
        #expect {
            _ = try Mapping.load(from: path)
        } throws: { error in
            "\(error)".contains("occurred_at") && "\(error)".contains("bad.mapping.yaml")
        }
    }

    @Test("Quarantined CSV rows land after the mapping is fixed and retried")
    func retryAfterMappingFix() async throws {
        let scratch = Scratch()
        let csv = scratch.write(
            "shop.csv",
            "id,when,mobile\nA1,01.03.2026 10:15,13800138000\nA2,02.03.2026 11:00,13900139000\nA3,xx,13900139000\n")
        let wrong = scratch.write(
            "shop.mapping.yaml",
            "source: shop\ntype: behaviour\nname: store_visit\nevent_id: id\noccurred_at:\n  column: when\n  format: yyyy/MM/dd HH:mm\n  time_zone: Asia/Shanghai\nidentifiers:\n  phone: mobile\n"
        )
        let first = try await ingest([csv], into: scratch.data)
        #expect(first.quarantinedByKind == ["bad_timestamp": 3])
        // Fix the mapping in place and retry.
        _ = scratch.write(
            "shop.mapping.yaml",
            try String(contentsOfFile: wrong, encoding: .utf8).replacingOccurrences(
                of: "yyyy/MM/dd HH:mm", with: "dd.MM.yyyy HH:mm"))
        let log = try FileEventLog(directory: scratch.data.log)
        let store = try QuarantineStore(directory: scratch.data.quarantine)
        let outcome = try QuarantineRetry().run(store: store, log: log)
        #expect(outcome.retried == 3)
        #expect(outcome.landed == 2)
        #expect(outcome.stillQuarantined == 1)
        #expect(try store.records().map(\.line) == [4])
        #expect(log.endPosition == 2)
    }

    @Test("Quarantined NDJSON lines can be exported raw, fixed and retried")
    func retryNDJSON() async throws {
        let scratch = Scratch()
        let line =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#
        let file = scratch.write(
            "e.ndjson", line.replacingOccurrences(of: "member_id", with: "loyalty_no") + "\n" + "{oops\n")
        _ = try await ingest([file], into: scratch.data)
        let log = try FileEventLog(directory: scratch.data.log)
        let store = try QuarantineStore(directory: scratch.data.quarantine)
        // Declaring the kind (as a rules file will) makes the first line valid.
        var retry = QuarantineRetry()
        retry.declaredKinds = ["loyalty_no": .text]
        let outcome = try retry.run(store: store, log: log)
        #expect(outcome.landed == 1)
        #expect(try store.records().map(\.kind) == [.malformedJSON])
    }
}
