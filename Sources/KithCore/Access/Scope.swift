/// What an API key may do. `admin` includes every other scope; `sensitive:read` (sensitive
/// personal data, PIPL Art. 28) includes `pii:read`.
public enum Scope: String, Codable, Sendable, CaseIterable, Comparable {
    case eventsWrite = "events:write"
    case profilesRead = "profiles:read"
    case piiRead = "pii:read"
    case sensitiveRead = "sensitive:read"
    case admin

    public static func < (a: Scope, b: Scope) -> Bool {
        (allCases.firstIndex(of: a) ?? 0) < (allCases.firstIndex(of: b) ?? 0)
    }

    /// Parses `profiles:read,pii:read` (commas or spaces), naming the first unknown scope.
    public static func parseList(_ text: String) -> Result<[Scope], ScopeError> {
        var scopes: [Scope] = []
        for token in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            guard let scope = Scope(rawValue: String(token)) else { return .failure(ScopeError(token: String(token))) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return .success(scopes.sorted())
    }
}

public struct ScopeError: Error, CustomStringConvertible, Equatable {
    public var token: String
    public var description: String {
        "unknown scope \"\(token)\"; expected one of " + Scope.allCases.map(\.rawValue).joined(separator: ", ")
    }
}

extension Set<Scope> {
    /// Whether a key with these scopes may do what `scope` guards (`admin` may do anything).
    public func allows(_ scope: Scope) -> Bool {
        contains(scope) || contains(.admin) || (scope == .piiRead && contains(.sensitiveRead))
    }

    /// The most protected class of personal data these scopes see in clear.
    public var clearUpTo: DataClass {
        allows(.sensitiveRead) ? .sensitive : allows(.piiRead) ? .personal : .notPersonal
    }
}
