import KithCore
import KithProjections

/// Responses for keys without `pii:read`: every identifier value, personal trait (and the other
/// values seen for it) and requested reference masked.
extension ProfileView {
    func masked() -> ProfileView {
        var view = self
        for (kind, values) in identifiers {
            view.identifiers[kind] = values.map { v in
                var v = v
                v.value = Masking.mask(v.value, kind: IdentifierKind(rawValue: kind))
                return v
            }
        }
        for (key, trait) in traits where PersonalData.isPersonalTrait(key) {
            var t = trait
            t.value = PersonalData.maskTrait(key, t.value)
            t.alternatives = t.alternatives.map { alternatives in
                alternatives.reduce(into: [:]) { $0[PersonalData.maskTrait(key, $1.key), default: 0] += $1.value }
            }
            view.traits[key] = t
        }
        view.requested = requested.map(PersonalData.maskReference)
        return view
    }
}

extension SQLiteProjectionStore.Explanation {
    func masked() -> Self {
        var e = self
        e.values = values.map(PersonalData.maskReference)
        func mask(_ links: [Link]) -> [Link] {
            links.map { l in
                var l = l
                l.from = PersonalData.maskReference(l.from)
                l.to = PersonalData.maskReference(l.to)
                return l
            }
        }
        e.links = mask(links)
        e.refused = mask(refused)
        e.cut = mask(cut)
        return e
    }
}
