extension ProjectedEvent {
    /// The hash of the person's name this event carries (its `name` trait), the evidence the
    /// identity guard compares; nil when it carries none.
    public var nameHash: UInt32? {
        guard let name = traits.first(where: { $0.key == "name" })?.value else { return nil }
        return NameEvidence.hash(of: name)
    }
}
