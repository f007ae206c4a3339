import ArgumentParser
import Foundation
import KithCore
import KithIngest

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "API keys for kith serve: create, list, revoke.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key; it is printed once and stored only as a SHA-256 digest.",
            discussion: "Scopes: events:write, profiles:read, pii:read (unmasked personal data), admin (everything).")
        @OptionGroup var data: DataOptions
        @Option(help: "A name people recognise (shown in kith keys list and the audit log).") var name: String
        @Option(help: "Comma-separated scopes, e.g. profiles:read,pii:read.") var scopes: String
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let parsed: [Scope]
            switch Scope.parseList(scopes) {
            case .success(let s): parsed = s
            case .failure(let e):
                Out.note("error: --scopes: \(e)")
                throw ExitCode.validationFailure
            }
            let created: (key: APIKey, secret: String)
            do { created = try KeyStore(data.directory).create(name: name, scopes: parsed) } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            if format == .json {
                try Out.json(Created(key: created.key, secret: created.secret))
            } else {
                Out.print(created.secret)
                Out.note(
                    "created key \(created.key.id) \"\(created.key.name)\" with \(created.key.scopes.map(\.rawValue).joined(separator: ", ")); "
                        + "it is shown only now: store it safely")
            }
            Out.flush()
        }

        struct Created: Encodable {
            var key: APIKey
            var secret: String
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every key: id, name, scopes, prefix, created, revoked.")
        @OptionGroup var data: DataOptions
        @Option(help: "table, json or ndjson") var format: OutputFormat = .table

        func run() throws {
            let keys: [APIKey]
            do { keys = try KeyStore(data.directory).list() } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            switch format {
            case .json: try Out.json(keys)
            case .ndjson: for k in keys { try Out.json(k, pretty: false) }
            default:
                var t = TextTable(header: ["id", "name", "scopes", "prefix", "created", "revoked"])
                t.rows = keys.map {
                    [$0.id, $0.name, $0.scopes.map(\.rawValue).joined(separator: ","), $0.prefix + "…", $0.createdAt, $0.revokedAt ?? ""]
                }
                Out.print(t.render())
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
                let revoked = try KeyStore(data.directory).revoke(key)
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
        commandName: "audit", abstract: "The record of unmasked reads of personal data.", subcommands: [List.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every audit record (time, key, route, profile), with the hash chain checked.",
            discussion: "Exit status 3 when the chain is broken: a record was edited, removed or inserted.")
        @OptionGroup var data: DataOptions
        @Option(help: "Only the last N records.") var last: Int?
        @Option(help: "Only records of this profile id.") var profile: String?
        @Option(help: "table, json, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            let listing: AuditLog.Listing
            do { listing = try AuditLog(data.directory).list() } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            var records = listing.records
            if let profile { records = records.filter { $0.profile == profile } }
            if let last { records = Array(records.suffix(max(0, last))) }
            switch format {
            case .json: try Out.json(records)
            case .ndjson: for r in records { try Out.json(r, pretty: false) }
            case .csv:
                Out.print("at,key,key_id,route,profile,status")
                for r in records { Out.print(CSVCell.row([r.at, r.key, r.keyID, r.route, r.profile ?? "", String(r.status)])) }
            case .table:
                var t = TextTable(header: ["at", "key", "route", "profile", "status"])
                t.rows = records.map { [$0.at, $0.key, $0.route, $0.profile ?? "", String($0.status)] }
                Out.print(t.render())
                Out.print("\(records.count) record(s)")
            }
            if !listing.unreadable.isEmpty {
                Out.note("warning: unreadable audit lines: \(listing.unreadable.map(String.init).joined(separator: ", "))")
            }
            Out.flush()
            if !listing.brokenAt.isEmpty {
                Out.note(
                    "error: the audit chain is broken at line(s) \(listing.brokenAt.map(String.init).joined(separator: ", ")) "
                        + "of \(AuditLog(data.directory).file): records were edited, removed or inserted")
                throw ExitCode(3)
            }
        }
    }
}
