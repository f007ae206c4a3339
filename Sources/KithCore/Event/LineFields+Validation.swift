extension LineFields {
    static let maximumEventIDLength = 256

    /// Applies the contract's rules and, if the line passes, appends its canonical form.
    func validateAndWrite(_ s: JSONScanner, parser: EventLineParser, to out: inout [UInt8])
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

        var eventIDBytes: [UInt8] = []
        s.decode(eventIDToken, into: &eventIDBytes)
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

        var sourceBytes: [UInt8] = []
        if let sourceToken = source {
            s.decode(sourceToken, into: &sourceBytes)
            if let fixed = parser.defaultSource, !sourceBytes.elementsEqual(fixed.utf8) {
                return .failure(
                    QuarantineReason(
                        .schemaViolation, field: "source",
                        "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' does not match --source \(fixed)"))
            }
        } else if let fixed = parser.defaultSource {
            sourceBytes = Array(fixed.utf8)
        } else {
            return missing("source")
        }
        guard (1...32).contains(sourceBytes.count), sourceBytes.allSatisfy(isSourceByte) else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "source",
                    "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' must match [a-z0-9_-]{1,32}"))
        }

        let typeName = s.string(typeToken)
        guard let eventType = EventType(rawValue: typeName) else {
            return .failure(
                QuarantineReason(
                    .unknownType, field: "type",
                    "type '\(typeName.prefix(40))' is not one of transaction, behaviour, interaction, feedback"))
        }

        var nameBytes: [UInt8] = []
        s.decode(nameToken, into: &nameBytes)
        guard (1...64).contains(nameBytes.count), nameBytes.allSatisfy(isNameByte) else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "name",
                    "name '\(String(decoding: nameBytes.prefix(70), as: UTF8.self))' must match [a-z0-9_]{1,64}"))
        }

        var timeBytes: [UInt8] = []
        s.decode(occurredAtToken, into: &timeBytes)
        let occurred: Timestamp
        switch timeBytes.withUnsafeBufferPointer({ Timestamp.parse(bytes: $0) }) {
        case .success(let t): occurred = t
        case .failure(let reason): return .failure(reason)
        }

        var normalized: [Identifier] = []
        normalized.reserveCapacity(identifiers.count)
        var rejected: [QuarantineReason] = []
        for (kind, raw) in identifiers {
            let k = IdentifierKind(rawValue: kind)
            switch IdentifierNormalizer.normalize(k, raw) {
            case .success(let value): normalized.append(Identifier(k, value))
            case .failure(let reason): rejected.append(reason)
            }
        }
        if normalized.isEmpty {
            if let first = rejected.first { return .failure(first) }
            return .failure(
                QuarantineReason(.schemaViolation, field: "identifiers", "identifiers has no values; at least one is required"))
        }
        normalized.sort()

        if let problem = PropertyRules.check(type: eventType, name: nameBytes, properties: properties, in: s) {
            return .failure(problem)
        }

        // Canonical form, fields in contract order.
        out.append(contentsOf: #"{"event_id":"#.utf8)
        JSONWriter.appendString(eventIDBytes, to: &out)
        out.append(contentsOf: #","source":""#.utf8)
        out.append(contentsOf: sourceBytes)
        out.append(contentsOf: #"","type":""#.utf8)
        out.append(contentsOf: typeName.utf8)
        out.append(contentsOf: #"","name":""#.utf8)
        out.append(contentsOf: nameBytes)
        out.append(contentsOf: #"","occurred_at":""#.utf8)
        occurred.append(to: &out)
        out.append(contentsOf: #"","identifiers":{"#.utf8)
        var i = 0
        while i < normalized.count {
            let kind = normalized[i].kind
            var j = i + 1
            while j < normalized.count, normalized[j].kind == kind { j += 1 }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(kind.rawValue, to: &out)
            out.append(UInt8(ascii: ":"))
            var values: [String] = []
            for k in i..<j where values.last != normalized[k].value { values.append(normalized[k].value) }
            if values.count == 1 {
                JSONWriter.appendString(values[0], to: &out)
            } else {
                out.append(UInt8(ascii: "["))
                for (n, v) in values.enumerated() {
                    if n > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.appendString(v, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
            i = j
        }
        out.append(UInt8(ascii: "}"))
        if let traits, traits.count > 2 {
            out.append(contentsOf: #","traits":"#.utf8)
            JSONWriter.appendCompacted(s.bytes, traits, to: &out)
        }
        if let properties, properties.count > 2 {
            out.append(contentsOf: #","properties":"#.utf8)
            JSONWriter.appendCompacted(s.bytes, properties, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        // Strip the "{}" of an empty-but-spaced object: compaction may have left "{}".
        let key = EventKey(source: sourceBytes, eventID: eventIDBytes)
        return .success(EventLineParser.ParsedLine(key: key, type: eventType, rejectedIdentifiers: rejected))
    }
}

@inline(__always) func isSourceByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
}

@inline(__always) func isNameByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
}
