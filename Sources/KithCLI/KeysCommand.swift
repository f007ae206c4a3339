import ArgumentParser
import Foundation
import KithCore
import KithDirectory
import KithEngine

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "API keys for kith serve: create, list, rotate, revoke.",
        subcommands: [Create.self, List.self, Rotate.self, Revoke.self])

    /// The data directory's keys and audit log (its errors are the caller's to report). They
    /// never leave the directory, so no store is chosen: a bad `KITH_DATABASE_URL` cannot stop
    /// an operator from managing keys.
    static func access(_ data: DataOptions) throws -> Access {
        try Engine(directory: DataOptions.directory(at: data.data)).access
    }

    /// `90d`, `12h`, `30m` or an RFC 3339 instant, as an instant.
    static func instant(_ text: String, now: Date = Date()) -> Date? {
        if let unit = text.last, let n = Int(text.dropLast()), n >= 0 {
            switch unit {
            case "d": return now.addingTimeInterval(Double(n) * 86_400)
            case "h": return now.addingTimeInterval(Double(n) * 3_600)
            case "m": return now.addingTimeInterval(Double(n) * 60)
            default: break
            }
        }
        // A date alone means its midnight UTC.
        guard case .success(let t) = Timestamp.parse(text.count == 10 ? text + "T00:00:00Z" : text) else { return nil }
        return Date(timeIntervalSince1970: Double(t.epochSeconds))
    }

    /// `24h` and the like, in seconds.
    static func seconds(_ text: String) -> Int? {
        instant(text, now: Date(timeIntervalSince1970: 0)).map { Int($0.timeIntervalSince1970) }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key; it is printed once and stored only as a SHA-256 digest.",
            discussion: """
                Scopes: events:write (needs --sources), profiles:read, pii:read (personal data in clear), \
                sensitive:read (sensitive personal data too, PIPL Art. 28), admin (everything).
                """)
        @OptionGroup var data: DataOptions
        @Option(help: "A name people recognise (shown in kith keys list and the audit log).") var name: String
        @Option(help: "Comma-separated scopes, e.g. profiles:read,pii:read.") var scopes: String
        @Option(help: "The sources an events:write key may write, comma-separated, e.g. pos,app.") var sources: String?
        @Option(help: "When the key stops working: 90d, 12h, 30m, a date or an RFC 3339 instant (default: never).")
        var expires: String?
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let parsed: [Scope]
            switch Scope.parseList(scopes) {
            case .success(let s): parsed = s
            case .failure(let e):
                Out.note("error: --scopes: \(e)")
                throw ExitCode.validationFailure
            }
            var expiry: Date?
            if let expires {
                guard let instant = KeysCommand.instant(expires) else {
                    Out.note("error: --expires: expected 90d, 12h, 30m or an RFC 3339 instant; got \"\(expires)\"")
                    throw ExitCode.validationFailure
                }
                expiry = instant
            }
            let sourceList = sources.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let created: Access.IssuedKey
            do {
                created = try KeysCommand.access(data).createKey(
                    name: name, scopes: parsed, sources: sourceList, expiresAt: expiry)
            } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            if format == .json {
                try Out.json(created)
            } else {
                Out.print(created.secret)
                Out.note(
                    "created key \(created.key.id) \"\(created.key.name)\" with \(created.key.scopes.map(\.rawValue).joined(separator: ", ")); "
                        + "it is shown only now: store it safely")
            }
            Out.flush()
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every key: id, name, scopes, sources, prefix, created, expires, last used, revoked.",
            discussion: "Last used is noted by kith serve at most a minute late.")
        @OptionGroup var data: DataOptions
        @Option(help: "table, json, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            let listed: [Access.ListedKey]
            do { listed = try KeysCommand.access(data).keysListed() } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            switch format {
            case .json: try Out.json(listed)
            case .ndjson: for k in listed { try Out.json(k, pretty: false) }
            case .csv:
                Out.print("id,name,scopes,sources,prefix,created_at,expires_at,last_used_at,revoked_at")
                for k in listed {
                    Out.print(
                        CSVCell.row([
                            k.key.id, k.key.name, k.key.scopes.map(\.rawValue).joined(separator: " "),
                            (k.key.sources ?? []).joined(separator: " "), k.key.prefix, k.key.createdAt,
                            k.key.expiresAt ?? "",
                            k.lastUsedAt ?? "", k.key.revokedAt ?? "",
                        ]))
                }
            case .table:
                var t = TextTable(header: [
                    "id", "name", "scopes", "sources", "prefix", "created", "expires", "last used", "revoked",
                ])
                t.rows = listed.map {
                    [
                        $0.key.id, $0.key.name, $0.key.scopes.map(\.rawValue).joined(separator: ","),
                        ($0.key.sources ?? []).joined(separator: ","), $0.key.prefix + "…", $0.key.createdAt,
                        $0.key.expiresAt ?? "",
                        $0.lastUsedAt ?? "never", $0.key.revokedAt ?? "",
                    ]
                }
                Out.print(t.render())
            }
            Out.flush()
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a key a new secret; the old one keeps working for --grace, then stops.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Key id (k…) or name.") var key: String
        @Option(help: "How long the old secret keeps working: 24h, 7d, 0m…") var grace = "24h"
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            guard let seconds = KeysCommand.seconds(grace) else {
                Out.note("error: --grace: expected a duration such as 24h, 7d or 0m; got \"\(grace)\"")
                throw ExitCode.validationFailure
            }
            let rotated: Access.IssuedKey
            do { rotated = try KeysCommand.access(data).rotateKey(key, grace: seconds) } catch {
                Out.note("error: \(error)")
                throw ExitCode(1)
            }
            if format == .json {
                try Out.json(rotated)
            } else {
                Out.print(rotated.secret)
                Out.note(
                    "rotated key \(rotated.key.id) \"\(rotated.key.name)\"; the old secret works until "
                        + "\(rotated.key.previousValidUntil ?? "now"). The new one is shown only now: store it safely")
            }
            Out.flush()
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a key by id or name; a running server refuses it from its next request.")
        @OptionGroup var data: DataOptions
        @Argument(help: "Key id (k…) or name.") var key: String

        func run() throws {
            do {
                let revoked = try KeysCommand.access(data).revokeKey(key)
                Out.print("revoked \(revoked.id) \"\(revoked.name)\"")
            } catch {
                Out.note("error: \(error)")
                throw ExitCode(1)
            }
            Out.flush()
        }
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The record of unmasked reads of personal data.",
        subcommands: [List.self, Verify.self])

    static func verified(_ data: DataOptions) throws -> AuditLog.Verification {
        do { return try KeysCommand.access(data).auditTrail() } catch {
            Out.note("error: \(error)")
            throw ExitCode(3)
        }
    }

    /// Exit status 3, after saying where, when the log is not whole.
    static func report(_ verification: AuditLog.Verification) throws {
        for note in verification.notes { Out.note("note: \(note)") }
        guard verification.isIntact else {
            for problem in verification.problems { Out.note("error: audit log: \(problem)") }
            throw ExitCode(3)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every audit record (time, key, route, profile), with the chain and its head checked.",
            discussion: "Exit status 3 when the log is not whole: a record was edited, removed, inserted or cut off.")
        @OptionGroup var data: DataOptions
        @Option(help: "Only the last N records.") var last: Int?
        @Option(help: "Only records of this profile id.") var profile: String?
        @Option(help: "table, json, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            let verification = try AuditCommand.verified(data)
            var records = verification.records
            if let profile { records = records.filter { $0.profile == profile } }
            if let last { records = Array(records.suffix(max(0, last))) }
            switch format {
            case .json: try Out.json(records)
            case .ndjson: for r in records { try Out.json(r, pretty: false) }
            case .csv:
                Out.print("at,key,key_id,route,profile,status")
                for r in records {
                    Out.print(CSVCell.row([r.at, r.key, r.keyID, r.route, r.profile ?? "", String(r.status)]))
                }
            case .table:
                var t = TextTable(header: ["at", "key", "route", "profile", "status"])
                t.rows = records.map { [$0.at, $0.key, $0.route, $0.profile ?? "", String($0.status)] }
                Out.print(t.render())
                Out.print("\(records.count) record(s)")
            }
            Out.flush()
            try AuditCommand.report(verification)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log whole: its keyed chain, and its head against cuts, emptying and deletion.",
            discussion: "Exit status 0 when intact, 3 (saying where) when not.")
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        struct Summary: Encodable {
            var intact: Bool
            var records: Int
            var problems: [String]
            var notes: [String]
        }

        func run() throws {
            let verification = try AuditCommand.verified(data)
            if format == .json {
                try Out.json(
                    Summary(
                        intact: verification.isIntact, records: verification.records.count,
                        problems: verification.problems,
                        notes: verification.notes))
            } else if verification.isIntact {
                Out.print("audit log intact: \(verification.records.count) record(s), chain and head agree")
            }
            Out.flush()
            try AuditCommand.report(verification)
        }
    }
}
