import KithCore

/// Every answer that carries personal data goes through one of these before it leaves: what a
/// key may not see is masked by its class (`Disclosure`), whatever the route.
extension ProfileView {
    public func disclosed(by disclosure: Disclosure) -> ProfileView {
        var view = self
        for (kind, values) in identifiers {
            view.identifiers[kind] = values.map { v in
                var v = v
                v.value = disclosure.identifier(v.value, kind: IdentifierKind(rawValue: kind))
                return v
            }
        }
        for (key, trait) in traits {
            var t = trait
            t.value = disclosure.trait(key, t.value)
            t.alternatives = t.alternatives.map { alternatives in
                alternatives.reduce(into: [:]) { $0[disclosure.trait(key, $1.key), default: 0] += $1.value }
            }
            view.traits[key] = t
        }
        view.requested = requested.map(disclosure.reference)
        return view
    }
}

extension ProfileExplanation {
    public func disclosed(by disclosure: Disclosure) -> Self {
        var e = self
        e.values = values.map(disclosure.reference)
        func mask(_ links: [Link]) -> [Link] {
            links.map { l in
                var l = l
                l.from = disclosure.reference(l.from)
                l.to = disclosure.reference(l.to)
                l.evidence.eventID = l.evidence.eventID.map { disclosure.eventID($0, source: l.evidence.source) }
                return l
            }
        }
        e.links = mask(links)
        e.refused = mask(refused)
        e.cut = mask(cut)
        return e
    }
}

extension TimelineEntry {
    public func disclosed(by disclosure: Disclosure) -> Self {
        var entry = self
        entry.eventID = disclosure.eventID(eventID, source: source)
        return entry
    }
}
