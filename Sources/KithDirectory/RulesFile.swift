import Foundation
import KithCore
import Yams

/// Loads a rules file (YAML or JSON, see `schemas/rules.schema.json`); fields it leaves out keep
/// `Rules.standard`'s values.
public enum RulesFile {
    public static func load(_ path: String) throws -> Rules {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DirectoryError(.badArgument, "cannot read the rules file", file: path)
        }
        do {
            let lower = path.lowercased()
            if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
                return try YAMLDecoder().decode(Rules.self, from: data)
            }
            return try JSONDecoder().decode(Rules.self, from: data)
        } catch let error as DecodingError {
            throw DirectoryError(.badArgument, error.fieldDescription, file: path)
        } catch {
            throw DirectoryError(.badArgument, "not valid YAML or JSON: \(error)", file: path)
        }
    }

    /// `--rules FILE`, else `DIR/rules.yaml|yml|json`, else the standard rules.
    public static func inForce(explicit: String?, dataDirectory: DataDirectory) throws -> (Rules, String) {
        if let explicit { return (try load(explicit), explicit) }
        for name in ["rules.yaml", "rules.yml", "rules.json"] {
            let path = dataDirectory.path + "/" + name
            if FileManager.default.fileExists(atPath: path) { return (try load(path), path) }
        }
        return (.standard, "standard rules")
    }
}
