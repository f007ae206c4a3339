import Foundation
import KithCore
import KithGenerator
import KithTestSupport
import Testing

@Suite("kith profiles from the command line")
struct ProfileCLITests {
    @Test("ingest projects profiles; get, explain, export, stats and score agree; a rebuild is byte-identical")
    func endToEnd() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 300, seed: 8).write(to: exports)
        let data = scratch.path + "/data"
        let ingest = try kith(
            ["ingest", "--data", data, "--format", "json"] + generated.files.map { exports + "/" + $0 })
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ingest.stdout.utf8)) as? [String: Any])
        let projection = try #require(report["projection"] as? [String: Any])
        #expect(projection["events"] as? Int == generated.accepted)

        // Any spelling of a person's phone finds their profile.
        let truth = try String(contentsOfFile: exports + "/truth/persons.ndjson", encoding: .utf8).split(
            separator: "\n")
        let person = try #require(
            try JSONSerialization.jsonObject(with: Data(truth[0].utf8)) as? [String: Any])
        let ids = try #require(person["identifiers"] as? [String: [String]])
        let phone = try #require(ids["phone"]?.first)
        let national = String(phone.dropFirst(3))
        let get = try kith([
            "profile", "get", "--data", data, "--format", "json",
            "phone:\(national.prefix(3)) \(national.dropFirst(3).prefix(4)) \(national.suffix(4))",
        ])
        #expect(get.status == 0, "\(get.stderr)")
        let view = try #require(try JSONSerialization.jsonObject(with: Data(get.stdout.utf8)) as? [String: Any])
        let profileID = try #require(view["profile_id"] as? String)
        let viewIDs = try #require(view["identifiers"] as? [String: [[String: Any]]])
        #expect(viewIDs["phone"]?.compactMap { $0["value"] as? String }.contains(phone) == true)
        if let member = ids["member_id"]?.first {
            #expect(viewIDs["member_id"]?.compactMap { $0["value"] as? String } == [member])
        }

        let explain = try kith(["profile", "explain", "--data", data, profileID])
        #expect(explain.stdout.contains("links that join them:"))
        let timeline = try kith([
            "profile", "timeline", "--data", data, profileID, "--format", "ndjson", "--limit", "3",
        ])
        #expect(timeline.stdout.split(separator: "\n").count <= 3)
        #expect(!timeline.stdout.isEmpty)
        // Paging with the cursor the table prints walks the whole timeline, newest first, once.
        let all = try kith(["profile", "timeline", "--data", data, profileID, "--format", "ndjson", "--limit", "1000"])
            .stdout.split(separator: "\n").map(String.init)
        var paged: [String] = []
        var cursor: String?
        repeat {
            var args = ["profile", "timeline", "--data", data, profileID, "--limit", "2"]
            if let cursor { args += ["--after", cursor] }
            let page = try kith(args).stdout
            let rows = page.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).prefix { !$0.isEmpty }
            let positions = rows.map { String($0.split(separator: " ").last!) }
            paged += positions
            cursor = page.split(separator: "\n").last.flatMap {
                $0.hasPrefix("more: --after ") ? String($0.dropFirst(14)) : nil
            }
        } while cursor != nil
        let allPositions = all.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["position"] as? Int
        }.map(String.init)
        #expect(paged == allPositions)

        let score = try kith([
            "identity", "score", "--data", data, "--truth", exports + "/truth/persons.ndjson", "--format", "json",
        ])
        let s = try #require(try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Double])
        let precision = try #require(s["precision"])
        let recall = try #require(s["recall"])
        #expect((s["truth_pairs"] ?? 0) > 1_000, "the score must cover real pairs")
        #expect(precision >= 0.999 && recall >= 0.99, "precision \(precision) recall \(recall)")

        let stats = try kith(["identity", "stats", "--data", data, "--format", "json"])
        let statsJSON = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        // A pinned as_of, so a later export differs only if the projection does.
        #expect(try kith(["rfm", "refresh", "--data", data, "--as-of", "2026-06-30"]).status == 0)
        let export = try kith(["profiles", "export", "--data", data])
        let lines = export.stdout.split(separator: "\n")
        #expect(lines.count == statsJSON["profiles"] as? Int)
        #expect(lines.count == 300)

        // Same log, same rules: a rebuild exports the same bytes.
        let rebuild = try kith(["project", "--data", data, "--rebuild"])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(try kith(["profiles", "export", "--data", data]).stdout == export.stdout)
        #expect(
            try kith(["profiles", "export", "--data", data, "--format", "csv"]).stdout.hasPrefix(
                "profile_id,phone,email"))
    }

    @Test("A rules file changes resolution after a rebuild; a bad one is refused naming the field")
    func rulesFile() throws {
        let scratch = Scratch()
        let file = scratch.path + "/e.ndjson"
        try [
            #"{"event_id":"1","source":"pos","type":"behaviour","name":"store_visit","occurred_at":"2026-03-01T10:00:00Z","identifiers":{"member_id":"M1","phone":"13700000001"}}"#,
            #"{"event_id":"2","source":"pos","type":"behaviour","name":"store_visit","occurred_at":"2026-03-01T11:00:00Z","identifiers":{"member_id":"M1","email":"amy@x.com"}}"#,
        ].joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let data = scratch.path + "/data"
        #expect(try kith(["ingest", "--data", data, file]).status == 0)
        #expect(try kith(["identity", "stats", "--data", data]).stdout.contains("profiles            1"))
        let rules = scratch.path + "/rules.yaml"
        try "blocklist: ['+8613700000001']\nshared_value_threshold: 8\n".write(
            toFile: rules, atomically: true, encoding: .utf8)
        let refused = try kith(["project", "--data", data, "--rules", rules])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("kith project --rebuild"))
        #expect(try kith(["project", "--data", data, "--rules", rules, "--rebuild"]).status == 0)
        let get = try kith(["profile", "get", "--data", data, "--rules", rules, "phone:13700000001"])
        #expect(get.status == 1)
        #expect(get.stderr.contains("belongs to no profile (blocklisted)"))
        let bad = scratch.path + "/bad.yaml"
        try "identifiers:\n  phone: {links: yes, limit: many, priority: 1}\n".write(
            toFile: bad, atomically: true, encoding: .utf8)
        let badRun = try kith(["project", "--data", data, "--rules", bad])
        #expect(badRun.status == 2)
        #expect(badRun.stderr.contains("identifiers.phone.limit"), "\(badRun.stderr)")
    }
}

@Suite("Identifier kinds declared in rules")
struct DeclaredKindsTests {
    @Test("A kind the rules declare is accepted with its normaliser and links; undeclared it is quarantined")
    func declaredKind() throws {
        let scratch = Scratch()
        let file = scratch.path + "/e.ndjson"
        try [
            #"{"event_id":"1","source":"wecom","type":"interaction","name":"wecom_message","occurred_at":"2026-03-01T10:00:00Z","identifiers":{"member_id":"M1","work_phone":"+86 138-0013-8001"}}"#,
            #"{"event_id":"2","source":"wecom","type":"interaction","name":"wecom_message","occurred_at":"2026-03-01T11:00:00Z","identifiers":{"work_phone":"13800138001","email":"amy@x.com"}}"#,
        ].joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        // Without a declaration the kind breaks the contract.
        let undeclared = try kith(["ingest", "--data", scratch.path + "/a", "--format", "json", file])
        #expect(undeclared.stdout.contains("\"quarantined\" : 2"))
        // Declared with the phone normaliser, both spellings are one value that links M1 and the email.
        let rules = scratch.path + "/rules.yaml"
        try "identifiers:\n  work_phone: {links: true, limit: 2, priority: 3, normalizer: phone}\n"
            .write(toFile: rules, atomically: true, encoding: .utf8)
        let declared = try kith(["ingest", "--data", scratch.path + "/b", "--rules", rules, file])
        #expect(declared.status == 0, "\(declared.stderr)")
        let view = try kith([
            "profile", "get", "--data", scratch.path + "/b", "--rules", rules, "--format", "json", "email:amy@x.com",
        ])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(view.stdout.utf8)) as? [String: Any])
        let ids = try #require(json["identifiers"] as? [String: [[String: Any]]])
        #expect(ids["work_phone"]?.compactMap { $0["value"] as? String } == ["+8613800138001"])
        #expect(ids["member_id"]?.compactMap { $0["value"] as? String } == ["M1"])
    }
}
