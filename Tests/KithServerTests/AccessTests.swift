import Foundation
import KithCore
import KithIngest
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
        #expect(PersonalData.maskTrait("name", "李伟") == "李*")
        #expect(PersonalData.maskTrait("city", "上海") == "上海")
        #expect(PersonalData.maskReference("phone:+8613800138000") == "phone:+86 138****8000")
        #expect(PersonalData.maskReference("p0123456789abcdef") == "p0123456789abcdef")
    }

    @Test func keysAreStoredAsDigestsAndRevocable() throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-keys-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let store = KeyStore(dir)
        let made = try store.create(name: "crm", scopes: [.profilesRead])
        #expect(made.secret.hasPrefix("kith_") && made.secret.count == 53)
        #expect(KeyStore.match(made.secret, in: try store.list())?.id == made.key.id)
        #expect(KeyStore.match(made.secret + "x", in: try store.list()) == nil)
        #expect(throws: IngestError.self) { try store.create(name: "crm", scopes: [.admin]) }
        #expect(throws: IngestError.self) { try store.create(name: "x", scopes: []) }
        #expect(!(try String(contentsOfFile: store.file, encoding: .utf8)).contains(made.secret))
        _ = try store.revoke("crm")
        #expect(KeyStore.match(made.secret, in: try store.list()) == nil)
        #expect(throws: IngestError.self) { try store.revoke("crm") }
    }

    @Test func auditChainShowsEditsAndCuts() throws {
        let dir = DataDirectory(NSTemporaryDirectory() + "kith-audit-" + UUID().uuidString)
        defer { try? FileManager.default.removeItem(atPath: dir.path) }
        let log = AuditLog(dir)
        for i in 0..<4 {
            try log.append(.init(at: "2026-11-23T00:00:0\(i)Z", key: "k", keyID: "k1", route: "GET /v1/profiles/{id}", profile: "p\(i)", status: 200))
        }
        #expect(try log.list().records.count == 4)
        #expect(try log.list().brokenAt.isEmpty)
        // A reopened log continues the chain.
        try AuditLog(dir).append(.init(at: "2026-11-23T00:00:05Z", key: "k", keyID: "k1", route: "r", profile: "p5", status: 200))
        #expect(try log.list().brokenAt.isEmpty)
        var lines = try String(contentsOfFile: log.file, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = lines[1].replacingOccurrences(of: "p1", with: "p9")
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.file, atomically: true, encoding: .utf8)
        #expect(try log.list().brokenAt == [3])
        lines.remove(at: 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: log.file, atomically: true, encoding: .utf8)
        #expect(try log.list().brokenAt == [2])
    }
}
