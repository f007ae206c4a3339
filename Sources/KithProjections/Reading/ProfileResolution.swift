import KithCore

/// Where a reference (`PROFILE_ID` or `KIND:VALUE`) leads: the profile it names now, and how
/// the one asked for relates to it.
public struct ProfileResolution: Sendable, Equatable {
    public var requested: String
    /// The profile it resolves to now, if any.
    public var current: String?
    /// `current`, `merged` (an alias), `split` or `unlinked`.
    public var status: String
    public var note: String?
}

extension ProfileResolution {
    /// The identifier a `KIND:VALUE` reference names, normalised; nil for anything else.
    public static func identifier(in reference: String) -> Identifier? {
        guard let (kind, raw) = RequestDecoding.identifierReference(reference),
            case .success(let value) = IdentifierNormalizer.normalize(kind, raw)
        else { return nil }
        return Identifier(kind, value)
    }

    /// Where a lookup of `identifier` (what `reference` names) leads and the view of its
    /// profile (nil when it links nothing); nil when the store has never seen it.
    public static func lookedUp(
        _ reference: String, _ identifier: Identifier, _ found: IdentifierLookup?, traitRules: TraitRules
    ) -> (resolution: ProfileResolution, view: ProfileView?)? {
        guard let found else { return nil }
        let resolved = ProfileResolution(
            reference, identifier: identifier, profile: found.profile, standing: found.standing)
        guard let profile = found.profile else { return (resolved, nil) }
        var view = ProfileView.assemble(id: profile, values: found.values, traitRules: traitRules, model: found.model)
        view.status = resolved.status
        view.requested = reference == profile ? nil : reference
        view.note = resolved.note
        return (resolved, view)
    }

    /// Where an identifier leads: its profile, or, when it links nothing, why.
    init(_ reference: String, identifier: Identifier, profile: String?, standing: IdentityResolver.Standing?) {
        requested = reference
        current = profile
        guard profile == nil else {
            status = "current"
            return
        }
        status = "unlinked"
        note =
            "\(identifier.kind.rawValue) \(Masking.mask(identifier.value, kind: identifier.kind)) belongs to no profile (\(standing?.code ?? "not linking"))"
    }
}

extension ProfileSnapshot {
    /// Resolves a profile id (current or old) or an identifier in any spelling; nil when the
    /// store has never seen it.
    public func resolve(_ reference: String) throws -> ProfileResolution? {
        if reference.utf8.contains(UInt8(ascii: ":")) { return try resolveIdentifier(reference) }
        guard let anchor = try anchor(ofProfileID: reference) else { return nil }
        let current = try profiles(of: [anchor])[anchor]
        let split = try changes(of: reference).last { $0.kind == .split }
        let splitNote = split.map { "split at log position \($0.position) into \($0.others.joined(separator: ", "))" }
        if current == reference {
            return ProfileResolution(
                requested: reference, current: reference, status: split == nil ? "current" : "split", note: splitNote)
        }
        if let current, try self.anchor(ofProfileID: current) == anchor {
            // The same anchor under another scheme: this profile's id from before ids were keyed.
            return ProfileResolution(
                requested: reference, current: current, status: "current",
                note: "\(reference) is this profile's earlier id (made before ids were keyed); use \(current)")
        }
        if let current {
            return ProfileResolution(
                requested: reference, current: current, status: "merged",
                note: "\(reference) was merged into \(current)" + (splitNote.map { "; earlier \($0)" } ?? ""))
        }
        return ProfileResolution(
            requested: reference, current: nil, status: "split",
            note: (splitNote ?? "its values no longer form a profile") + "; its first value now links nothing")
    }

    private func resolveIdentifier(_ reference: String) throws -> ProfileResolution? {
        guard let identifier = ProfileResolution.identifier(in: reference),
            let node = try nodes(identifiedBy: [identifier]).keys.first
        else { return nil }
        let profile = try profiles(of: [node])[node]
        return ProfileResolution(
            reference, identifier: identifier, profile: profile,
            standing: profile == nil ? try standings(of: [node])[node] : nil)
    }

    /// The unified view of a current profile, assembled from its values and their statistics.
    public func view(of profile: String, traitRules: TraitRules) throws -> ProfileView {
        ProfileView.assemble(
            id: profile, values: try values(of: profile), traitRules: traitRules, model: try rfmModel())
    }

    /// The view of what `reference` resolves to, saying how the reference relates to it.
    public func profile(_ reference: String, traitRules: TraitRules) throws -> ProfileView? {
        guard let resolved = try resolve(reference) else { return nil }
        return try profile(resolved, traitRules: traitRules)
    }

    /// The view of the profile a resolution leads to, saying how the reference relates to it.
    public func profile(_ resolved: ProfileResolution, traitRules: TraitRules) throws -> ProfileView? {
        guard let current = resolved.current else { return nil }
        let reference = resolved.requested
        var view = try view(of: current, traitRules: traitRules)
        view.status = resolved.status
        view.requested = reference == current ? nil : reference
        view.note = resolved.note
        return view
    }
}

extension ProfileQueries {
    /// Resolves a profile id (current or old) or an identifier in any spelling.
    public func resolve(_ reference: String) throws -> ProfileResolution? {
        try reading { try $0.resolve(reference) }
    }

    /// Where `reference` leads and the view of its current profile (nil when it leads to none),
    /// from one committed state; nil when the store has never seen it. An identifier is one
    /// `lookUp` (the API's hot path); a profile id reads its aliases and splits as well.
    public func lookUpProfile(_ reference: String, traitRules: TraitRules) throws -> (
        resolution: ProfileResolution, view: ProfileView?
    )? {
        guard reference.utf8.contains(UInt8(ascii: ":")) else {
            return try reading { snapshot in
                guard let resolved = try snapshot.resolve(reference) else { return nil }
                return (resolved, try snapshot.profile(resolved, traitRules: traitRules))
            }
        }
        guard let identifier = ProfileResolution.identifier(in: reference) else { return nil }
        return ProfileResolution.lookedUp(reference, identifier, try lookUp(identifier), traitRules: traitRules)
    }

    /// The unified view of what `reference` resolves to, from one committed state.
    public func profile(_ reference: String, traitRules: TraitRules) throws -> ProfileView? {
        try lookUpProfile(reference, traitRules: traitRules)?.view
    }

    /// Every current profile's view, in profile id order, from one committed state (streamed:
    /// one pass over the store).
    public func forEachProfile(traitRules: TraitRules, _ body: (ProfileView) throws -> Void) throws {
        try reading { snapshot in
            let model = try snapshot.rfmModel()
            try snapshot.forEachProfile { profile, values in
                try body(ProfileView.assemble(id: profile, values: values, traitRules: traitRules, model: model))
            }
        }
    }
}
