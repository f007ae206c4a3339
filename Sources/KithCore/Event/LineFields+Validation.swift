extension LineFields {
    static let maximumEventIDLength = 256

    /// Applies the contract's rules and, if the line passes, appends its canonical form.
    func validateAndWrite(
        _ s: JSONScanner, parser: EventLineParser, scratch: inout EventLineParser.Scratch, to out: inout [UInt8]
    )
        -> Result<EventLineParser.ParsedLine, QuarantineReason>
    {
        func missing(_ field: String) -> Result<EventLineParser.ParsedLine, QuarantineReason> {
            .failure(QuarantineReason(.schemaViolation, field: field, "required field '\(field)' is missing"))
        }
        guard let eventIDToken = eventID else { return missing("event_id") }
        guard let typeToken = type else { return missing("type") }
        guard let nameToken = name else { return missing("name") }
        guard let occurredAtToken = occurredAt else { return missing("occurred_at") }
        guard sawIdentifiers else { return missing("identifiers") }

        // Most tokens have no escapes: their bytes are used in place; the rest are decoded
        // into one scratch buffer.
        var escaped: [UInt8] = []
        func place(_ token: JSONScanner.StringToken) -> (inScratch: Bool, range: Range<Int>) {
            guard token.hasEscapes else { return (false, token.range) }
            let start = escaped.count
            s.decode(token, into: &escaped)
            return (true, start..<escaped.count)
        }
        let id = place(eventIDToken)
        let name = place(nameToken)
        let time = place(occurredAtToken)
        let src: (inScratch: Bool, range: Range<Int>)
        if let sourceToken = source {
            src = place(sourceToken)
        } else if let fixed = parser.defaultSource {
            let start = escaped.count
            escaped.append(contentsOf: fixed.utf8)
            src = (true, start..<escaped.count)
        } else {
            return missing("source")
        }
        return escaped.withUnsafeBufferPointer { sb in
            func view(_ p: (inScratch: Bool, range: Range<Int>)) -> UnsafeBufferPointer<UInt8> {
                p.inScratch
                    ? UnsafeBufferPointer(rebasing: sb[p.range]) : UnsafeBufferPointer(rebasing: s.bytes[p.range])
            }
            return validateAndWrite(
                s, parser: parser, eventID: view(id), source: view(src), typeToken: typeToken, name: view(name),
                time: view(time), scratch: &scratch, to: &out)
        }
    }

    private func validateAndWrite(
        _ s: JSONScanner, parser: EventLineParser, eventID eventIDBytes: UnsafeBufferPointer<UInt8>,
        source sourceBytes: UnsafeBufferPointer<UInt8>, typeToken: JSONScanner.StringToken,
        name nameBytes: UnsafeBufferPointer<UInt8>, time timeBytes: UnsafeBufferPointer<UInt8>,
        scratch: inout EventLineParser.Scratch, to out: inout [UInt8]
    ) -> Result<EventLineParser.ParsedLine, QuarantineReason> {
        if eventIDBytes.isEmpty || eventIDBytes.allSatisfy({ $0 == 0x20 }) {
            return .failure(QuarantineReason(.schemaViolation, field: "event_id", "event_id is empty"))
        }
        if eventIDBytes.count > LineFields.maximumEventIDLength {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "event_id",
                    "event_id is \(eventIDBytes.count) bytes; at most \(LineFields.maximumEventIDLength) are allowed"))
        }
        if eventIDBytes.contains(where: { $0 < 0x20 }) {
            return .failure(
                QuarantineReason(.schemaViolation, field: "event_id", "event_id contains control characters"))
        }
        if source != nil, let fixed = parser.defaultSource, !sourceBytes.elementsEqual(fixed.utf8) {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "source",
                    "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' does not match --source \(fixed)"
                ))
        }
        guard (1...32).contains(sourceBytes.count), sourceBytes.allSatisfy(isSourceByte) else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "source",
                    "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' must match [a-z0-9_-]{1,32}"))
        }
        if let allowed = parser.allowedSources, !allowed.contains(String(decoding: sourceBytes, as: UTF8.self)) {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "source",
                    "source '\(String(decoding: sourceBytes, as: UTF8.self))' is not one this writer may write "
                        + "(allowed: \(allowed.sorted().joined(separator: ", ")))"))
        }

        guard let eventType = EventType(token: typeToken, in: s) else {
            let typeName = s.string(typeToken)
            return .failure(
                QuarantineReason(
                    .unknownType, field: "type",
                    "type '\(typeName.prefix(40))' is not one of transaction, behaviour, interaction, feedback"))
        }

        guard (1...64).contains(nameBytes.count), nameBytes.allSatisfy(isNameByte) else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "name",
                    "name '\(String(decoding: nameBytes.prefix(70), as: UTF8.self))' must match [a-z0-9_]{1,64}"))
        }

        let occurred: Timestamp
        switch Timestamp.parse(bytes: timeBytes) {
        case .success(let t): occurred = t
        case .failure(let reason): return .failure(reason)
        }

        guard scratch.identifiers.count <= IdentifierNormalizer.maximumPerEvent else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "identifiers",
                    "identifiers holds \(scratch.identifiers.count) values; at most \(IdentifierNormalizer.maximumPerEvent) "
                        + "are allowed in one event (an event describes one customer)"))
        }
        var rejected: [QuarantineReason] = []
        for (kind, token) in scratch.identifiers {
            if let problem = scratch.appendNormalized(kind, token, in: s, declaredKinds: parser.declaredKinds) {
                rejected.append(problem)
            }
        }
        if scratch.entries.isEmpty {
            if let first = rejected.first { return .failure(first) }
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "identifiers", "identifiers has no values; at least one is required"))
        }
        scratch.sortEntries()
        let values = scratch.values

        if let problem = PropertyRules.check(type: eventType, name: nameBytes, properties: properties, in: s) {
            return .failure(problem)
        }

        // Canonical form, fields in contract order.
        out.append(contentsOf: #"{"event_id":"#.utf8)
        JSONWriter.appendString(eventIDBytes, to: &out)
        out.append(contentsOf: #","source":""#.utf8)
        out.append(contentsOf: sourceBytes)
        out.append(contentsOf: #"","type":""#.utf8)
        out.append(contentsOf: eventType.rawValue.utf8)
        out.append(contentsOf: #"","name":""#.utf8)
        out.append(contentsOf: nameBytes)
        out.append(contentsOf: #"","occurred_at":""#.utf8)
        occurred.append(to: &out)
        out.append(contentsOf: #"","identifiers":{"#.utf8)
        let entries = scratch.entries
        values.withUnsafeBufferPointer { vb in
            func value(_ k: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: vb[entries[k].range]) }
            var i = 0
            while i < entries.count {
                let kind = entries[i].kind
                var j = i + 1
                while j < entries.count, entries[j].kind == kind { j += 1 }
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.appendString(kind.rawValue, to: &out)
                out.append(UInt8(ascii: ":"))
                func isRepeat(_ k: Int) -> Bool { k > i && value(k).elementsEqual(value(k - 1)) }
                var distinct = 0
                for k in i..<j where !isRepeat(k) { distinct += 1 }
                if distinct == 1 {
                    JSONWriter.appendString(value(i), to: &out)
                } else {
                    out.append(UInt8(ascii: "["))
                    var n = 0
                    for k in i..<j where !isRepeat(k) {
                        if n > 0 { out.append(UInt8(ascii: ",")) }
                        JSONWriter.appendString(value(k), to: &out)
                        n += 1
                    }
                    out.append(UInt8(ascii: "]"))
                }
                i = j
            }
        }
        out.append(UInt8(ascii: "}"))
        // An empty object is left out, however much white space it held: `{ }` compacts to
        // `{}`, which would otherwise be written once and dropped on the next parse.
        if let traits { appendMember(#","traits":"#, compacting: traits, of: s.bytes, to: &out) }
        if let properties { appendMember(#","properties":"#, compacting: properties, of: s.bytes, to: &out) }
        out.append(UInt8(ascii: "}"))
        let key = EventKey(source: sourceBytes, eventID: eventIDBytes)
        return .success(EventLineParser.ParsedLine(key: key, type: eventType, rejectedIdentifiers: rejected))
    }
}

/// Appends `"name":value` with the value compacted, unless the value is an empty object.
private func appendMember(
    _ name: StaticString, compacting value: Range<Int>, of bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
) {
    let start = out.count
    out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    let valueStart = out.count
    JSONWriter.appendCompacted(bytes, value, to: &out)
    if out.count - valueStart <= 2 { out.removeSubrange(start...) }
}

/// Whether `text` is a source name as the contract allows it (`[a-z0-9_-]{1,32}`).
public func isSourceName(_ text: String) -> Bool {
    (1...32).contains(text.utf8.count) && text.utf8.allSatisfy(isSourceByte)
}

@inline(__always) func isSourceByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
}

@inline(__always) func isNameByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
}
