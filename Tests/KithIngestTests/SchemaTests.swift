import Foundation
import KithCore
import KithGenerator
import Testing

@testable import KithIngest

@Suite("Schemas")
struct SchemaTests {
    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/schemas/" + name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("The event schema's examples are accepted by the ingest parser")
    func eventExamples() throws {
        let schema = try Self.load("event.schema.json")
        #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        let examples = try #require(schema["examples"] as? [Any])
        #expect(examples.count >= 4)
        for example in examples {
            let line = try JSONSerialization.data(withJSONObject: example)
            var out: [UInt8] = []
            let result = [UInt8](line).withUnsafeBufferPointer { EventLineParser().parse($0, appendingTo: &out) }
            if case .failure(let reason) = result { Issue.record("example rejected: \(reason.message)") }
        }
    }

    @Test("The schema lists exactly the contract's fields and types")
    func inStepWithContract() throws {
        let schema = try Self.load("event.schema.json")
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(
            Set(properties.keys) == [
                "event_id", "source", "type", "name", "occurred_at", "identifiers", "traits", "properties",
            ])
        let type = try #require(properties["type"] as? [String: Any])
        #expect(Set(type["enum"] as? [String] ?? []) == Set(EventType.allCases.map(\.rawValue)))
        #expect(schema["additionalProperties"] as? Bool == false)
        let ids = try #require((properties["identifiers"] as? [String: Any])?["properties"] as? [String: Any])
        #expect(Set(ids.keys) == Set(IdentifierKind.wellKnown.map(\.rawValue)))
    }

    @Test("The mapping schema's examples decode as mappings")
    func mappingExamples() throws {
        let schema = try Self.load("mapping.schema.json")
        let scratch = Scratch()
        for (i, example) in try #require(schema["examples"] as? [Any]).enumerated() {
            let path = scratch.path + "/example\(i).mapping.json"
            try JSONSerialization.data(withJSONObject: example).write(to: URL(fileURLWithPath: path))
            _ = try Mapping.load(from: path)
        }
    }

    static var pythonJSONSchema: Bool {
        (try? run("python3", ["-c", "import jsonschema, yaml"])) == 0
    }

    @Test(
        "A real JSON Schema validator accepts the schemas, the example mappings and canonical log output",
        .enabled(if: pythonJSONSchema, "needs python3 with jsonschema and PyYAML (.ci/run installs them)"))
    func validatorAcceptsCanonicalOutput() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 150, seed: 2).write(to: exports)
        _ = try await ingest(generated.files.map { exports + "/" + $0 }, into: scratch.data)
        let canonical = try logLines(scratch.data).joined(separator: "\n") + "\n"
        let file = scratch.write("canonical.ndjson", canonical)
        #expect(try run("python3", [repositoryRoot + "/tools/validate_schemas.py", file]) == 0)
    }
}
