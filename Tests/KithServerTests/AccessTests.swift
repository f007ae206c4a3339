import Foundation
import KithCore
import KithDirectory
import KithTestSupport
import Testing

struct AccessTests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func sha256MatchesTheStandardVectors(message: String, digest: String) {
        #expect(SHA256.hex(message.utf8) == digest)
    }

    @Test func sha256OfAMillionAs() {
        #expect(
            SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func scopesParseAndAdminImpliesAll() throws {
        #expect(try Scope.parseList("profiles:read, pii:read").get() == [.profilesRead, .piiRead])
        if case .failure(let e) = Scope.parseList("profiles:read,pii:write") {
            #expect(e.description.contains("pii:write") && e.description.contains("events:write"))
        } else {
            Issue.record("an unknown scope must be refused")
        }
        #expect(Set([Scope.admin]).allows(.piiRead))
        #expect(!Set([Scope.profilesRead]).allows(.piiRead))
    }

    @Test func personalDataMasks() {
        #expect(Masking.mask("+8613800138000", kind: .phone) == "+86 138****8000")
        #expect(Masking.mask("li.wei@example.com", kind: .email) == "l***@example.com")
        let masked = Disclosure(clearUpTo: .notPersonal, classes: .standard, eventIDKey: [1])
        #expect(masked.trait("name", "李伟") == "李*")
        #expect(masked.trait("姓名", "李伟") == "李*")
        #expect(masked.trait("city", "上海") == "上海")
        #expect(masked.reference("phone:+8613800138000") == "phone:+86 138****8000")
        #expect(masked.reference("p0123456789abcdef") == "p0123456789abcdef")
    }

    @Test func keysAreStoredAsDigestsAndRevocable() throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-keys-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let store = KeyStore(dir)
        let made = try store.create(name: "crm", scopes: [.profilesRead])
        #expect(made.secret.hasPrefix("kith_") && made.secret.count == 53)
        #expect(KeyStore.match(made.secret, in: try store.list())?.id == made.key.id)
        #expect(KeyStore.match(made.secret + "x", in: try store.list()) == nil)
        #expect(throws: DirectoryError.self) { try store.create(name: "crm", scopes: [.admin]) }
        #expect(throws: DirectoryError.self) { try store.create(name: "x", scopes: []) }
        #expect(!(try String(contentsOfFile: store.file, encoding: .utf8)).contains(made.secret))
        _ = try store.revoke("crm")
        #expect(KeyStore.match(made.secret, in: try store.list()) == nil)
        #expect(throws: DirectoryError.self) { try store.revoke("crm") }
    }

    @Test func auditChainShowsEditsAndCuts() throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-audit-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let log = try AuditLog(dir)
        for i in 0..<4 {
            try log.append(
                .init(
                    at: "2026-11-23T00:00:0\(i)Z", key: "k", keyID: "k1", route: "GET /v1/profiles/{id}",
                    profile: "p\(i)", status: 200))
        }
        #expect(try log.verify().records.count == 4)
        #expect(try log.verify().isIntact)
        // A reopened log continues the chain.
        try AuditLog(dir).append(
            .init(at: "2026-11-23T00:00:05Z", key: "k", keyID: "k1", route: "r", profile: "p5", status: 200))
        #expect(try log.verify().isIntact)
        let whole = try String(contentsOfFile: log.file, encoding: .utf8)
        var lines = whole.split(separator: "\n").map(String.init)
        lines[1] = lines[1].replacingOccurrences(of: "p1", with: "p9")
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.file, atomically: true, encoding: .utf8)
        #expect(try log.verify().problems.contains { $0.hasPrefix("line 3 does not follow line 2") })
        lines.remove(at: 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.file, atomically: true, encoding: .utf8)
        #expect(try log.verify().problems.contains { $0.hasPrefix("line 2 does not follow line 1") })
    }

    /// The findings of issue 15: the last lines dropped, the file emptied, the file deleted, and
    /// a chain rewritten by someone without the secret all passed before heads and keys.
    @Test(arguments: ["cut", "emptied", "deleted", "rewritten", "head edited"])
    func auditTamperingIsDetected(tampering: String) throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-audit-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let log = try AuditLog(dir)
        for i in 0..<5 {
            try log.append(
                .init(
                    at: "2026-11-23T00:00:0\(i)Z", key: "k", keyID: "k1", route: "GET /v1/profiles/{id}",
                    profile: "p\(i)", status: 200))
        }
        #expect(try log.verify().isIntact)
        let lines = try String(contentsOfFile: log.file, encoding: .utf8).split(separator: "\n").map(String.init)
        switch tampering {
        case "cut":
            try (lines.prefix(3).joined(separator: "\n") + "\n").write(
                toFile: log.file, atomically: true, encoding: .utf8)
        case "emptied":
            try Data().write(to: URL(fileURLWithPath: log.file))
        case "deleted":
            try FileManager.default.removeItem(atPath: log.file)
        case "rewritten":
            // Drop record 2 and re-chain the rest with the old, unkeyed SHA-256 chain.
            var kept = lines
            kept.remove(at: 2)
            var previous = ""
            var rewritten: [String] = []
            for line in kept {
                var record = try JSONDecoder().decode(AuditLog.Record.self, from: Data(line.utf8))
                record.previous = previous
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                let text = String(decoding: try encoder.encode(record), as: UTF8.self)
                rewritten.append(text)
                previous = SHA256.hex(text.utf8)
            }
            try (rewritten.joined(separator: "\n") + "\n").write(toFile: log.file, atomically: true, encoding: .utf8)
        default:
            let head = try String(contentsOfFile: log.headFile, encoding: .utf8)
            try head.replacingOccurrences(of: "\"count\":5", with: "\"count\":3").write(
                toFile: log.headFile, atomically: true, encoding: .utf8)
        }
        let verification = try? AuditLog(dir).verify()
        #expect(verification?.isIntact != true, "\(tampering) went unnoticed")
        // The CLI says so with a non-zero exit and where.
        let run = try kith(["audit", "verify", "--data", dir.path])
        #expect(run.status == 3)
        #expect(run.stderr.contains("error:"))
        // A server opening it refuses to add records to a log that fails.
        #expect(throws: (any Error).self) {
            try AuditLog(dir).append(
                .init(at: "2026-11-23T00:01:00Z", key: "k", keyID: "k1", route: "r", profile: "p", status: 200))
        }
    }

    @Test func auditLogDeletedWhileOpenRefusesFurtherRecords() throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-audit-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let log = try AuditLog(dir)
        try log.append(.init(at: "2026-11-23T00:00:00Z", key: "k", keyID: "k1", route: "r", profile: "p", status: 200))
        try FileManager.default.removeItem(atPath: log.file)
        #expect(throws: DirectoryError.self) {
            try log.append(
                .init(at: "2026-11-23T00:00:01Z", key: "k", keyID: "k1", route: "r", profile: "p", status: 200))
        }
        #expect(!FileManager.default.fileExists(atPath: log.file))
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test cases 1 and 2.
        #expect(
            HMAC.hex(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            HMAC.hex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block.
        #expect(
            HMAC.hex(
                key: [UInt8](repeating: 0xaa, count: 131),
                message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }
}
