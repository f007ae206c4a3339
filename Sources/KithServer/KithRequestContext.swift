import Hummingbird
import KithCore
import KithDirectory

/// Per-request state: who is asking (the API key, if one was presented and matched).
public struct KithRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The matched, unrevoked key.
    var key: APIKey?
    /// Whether the request carried a key at all (to tell "no key" from "a wrong key").
    var presentedKey = false

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Throws 401 without a valid key and 403 without `scope`, naming what is missing.
    func require(_ scope: Scope) throws -> APIKey {
        guard let key else {
            throw presentedKey
                ? Problem(
                    .unauthorized, "unknown_key", "The API key is unknown or revoked; create one with kith keys create."
                )
                : Problem(
                    .unauthorized, "missing_key",
                    "No API key: send it as `Authorization: Bearer KEY` (create one with kith keys create --scopes \(scope.rawValue))."
                )
        }
        guard key.scopeSet.allows(scope) else {
            throw Problem(
                .forbidden, "missing_scope",
                "The key \"\(key.name)\" lacks the scope \(scope.rawValue) (it has \(key.scopes.map(\.rawValue).joined(separator: ", ")))."
            )
        }
        return key
    }

    /// The most protected class of personal data this request may see in clear.
    var clearUpTo: DataClass { key?.scopeSet.clearUpTo ?? .notPersonal }
}
