import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithLog
import KithProjections

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Look up one customer's unified view.",
        subcommands: [Get.self, Timeline.self, Explain.self])

    /// Runs a lookup of `reference`; one that leads to no profile exits 1 saying why.
    static func lookingUp<T>(_ reference: String, _ body: () throws -> T) throws -> T {
        try Projection.reporting {
            do { return try body() } catch let error as EngineError where error.code == .noProfile {
                Out.note(
                    "error: no profile or identifier matches \(reference) (use KIND:VALUE, e.g. phone:13800138000, or a profile id)"
                )
                throw ExitCode(1)
            } catch let error as EngineError where error.code == .noCurrentProfile {
                Out.note("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The unified view: identifiers, traits with sources, counters, orders and spend, feedback.")
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Argument(help: "KIND:VALUE (any spelling, normalised first) or a profile id (aliases resolve).") var reference:
            String
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let traits = try Projection.rules(rules, data.directory).traits
            let view = try ProfileCommand.lookingUp(reference) {
                try Engine.profile(reference, in: store, traitRules: traits)
            }
            if format == .json { try Out.json(view) } else { Out.print(ProfileCommand.render(view)) }
            Out.flush()
        }
    }

    static func render(_ v: ProfileView) -> String {
        var out = ["profile \(v.profileID)" + (v.status == "current" ? "" : "  [\(v.status)]")]
        if let note = v.note { out.append("  " + note) }
        out.append("")
        var ids = TextTable(
            header: ["kind", "value", "first seen", "last seen", "events", "sources"], rightAligned: [4])
        for (kind, values) in v.identifiers.sorted(by: { $0.key < $1.key }) {
            for x in values {
                ids.rows.append([
                    kind, x.value, x.firstSeen ?? "", x.lastSeen ?? "", String(x.events),
                    x.sources.joined(separator: ","),
                ])
            }
        }
        out.append(ids.render())
        if !v.traits.isEmpty {
            out.append("")
            var traits = TextTable(header: ["trait", "value", "source", "as of", "rule", "other values"])
            for (k, t) in v.traits.sorted(by: { $0.key < $1.key }) {
                traits.rows.append([
                    k, t.value, t.source, t.at, t.rule,
                    (t.alternatives ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(
                        separator: " "),
                ])
            }
            out.append(traits.render())
        }
        let s = v.stats
        out.append("")
        out.append(
            "events \(s.events) (first \(s.firstSeen ?? "-"), last \(s.lastSeen ?? "-")); channels: \(s.channels.joined(separator: ", "))"
        )
        out.append(
            "orders \(s.orders), refunds \(s.refunds), net spend "
                + (s.netSpend.isEmpty
                    ? "0"
                    : s.netSpend.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
                + ", average order "
                + (s.averageOrderValue.isEmpty
                    ? "-"
                    : s.averageOrderValue.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
                        separator: ", "))
                + ", last order \(s.lastOrder ?? "-")")
        out.append(
            "NPS latest \(s.latestNPS.map(String.init) ?? "-") average \(s.averageNPS ?? "-"); rating latest \(s.latestRating.map(String.init) ?? "-") average \(s.averageRating ?? "-"); complaints \(s.complaints)"
        )
        out.append(
            "by type: " + s.byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        return out.joined(separator: "\n")
    }

    struct Timeline: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The profile's events, newest first.")
        @OptionGroup var data: DataOptions
        @Argument(help: "KIND:VALUE or a profile id.") var reference: String
        @Option(help: "At most N events.") var limit = 20
        @Option(help: "Only events of this type.") var type: String?
        @Option(help: "Continue after this cursor (printed at the end of the previous page).") var after: String?
        @Option(help: "table, json or ndjson") var format: OutputFormat = .table

        func run() throws {
            let engine = try Projection.engine(data.directory)
            let store = try Projection.reporting { try engine.openStore() }
            var before: TimelineCursor?
            if let after {
                guard let cursor = TimelineCursor(text: after) else {
                    Out.note(
                        "error: --after expects the cursor printed by the previous page, like 2026-03-01T10:15:00+08:00@812"
                    )
                    throw ExitCode(2)
                }
                before = cursor
            }
            let page = try ProfileCommand.lookingUp(reference) {
                try Engine.timeline(
                    of: reference, in: store, log: try engine.logReader(), limit: limit,
                    type: type, after: before)
            }
            let entries = page.entries
            switch format {
            case .json: try Out.json(entries)
            case .ndjson: for e in entries { try Out.json(e, pretty: false) }
            default:
                var t = TextTable(
                    header: ["occurred at", "type", "name", "source", "event id", "position"], rightAligned: [5])
                t.rows = entries.map { [$0.occurredAt, $0.type, $0.name, $0.source, $0.eventID, String($0.position)] }
                Out.print(t.render())
                if let next = page.next { Out.print("\nmore: --after \(next.text)") }
            }
            Out.flush()
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Why these values are one customer: each link with the event that made it, and refused or cut links.")
        @OptionGroup var data: DataOptions
        @Argument(help: "KIND:VALUE or a profile id.") var reference: String
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let engine = try Projection.engine(data.directory)
            let store = try Projection.reporting { try engine.openStore() }
            let e = try ProfileCommand.lookingUp(reference) {
                try Engine.explain(reference, in: store, log: try engine.logReader())
            }
            let id = e.profileID
            if format == .json {
                try Out.json(e)
                Out.flush()
                return
            }
            func line(_ l: ProfileExplanation.Link) -> String {
                let ev = l.evidence
                return
                    "  \(l.from) — \(l.to)   first by \(ev.source ?? "?") \(ev.eventID ?? "?") at \(ev.occurredAt ?? "?") (position \(ev.position)), \(ev.events) event(s)"
                    + (l.rule.map { "   [\($0)]" } ?? "")
            }
            var out = ["profile \(id): \(e.values.count) values", "", "links that join them:"]
            out += e.links.isEmpty ? ["  (one value, nothing to join)"] : e.links.map(line)
            if !e.refused.isEmpty { out += ["", "links refused by rule:"] + e.refused.map(line) }
            if !e.cut.isEmpty { out += ["", "values seen with it that link nothing:"] + e.cut.map(line) }
            Out.print(out.joined(separator: "\n"))
            Out.flush()
        }
    }
}
