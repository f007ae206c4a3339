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

        // Most tokens have no escapes: their bytes are used in place; the rest are decoded
        // into one scratch buffer.
        var scratch: [UInt8] = []
        func place(_ token: JSONScanner.StringToken) -> (inScratch: Bool, range: Range<Int>) {
            guard token.hasEscapes else { return (false, token.range) }
            let start = scratch.count
            s.decode(token, into: &scratch)
            return (true, start..<scratch.count)
        }
        let id = place(eventIDToken)
        let name = place(nameToken)
        let time = place(occurredAtToken)
        let src: (inScratch: Bool, range: Range<Int>)
        if let sourceToken = source {
            src = place(sourceToken)
        } else if let fixed = parser.defaultSource {
            let start = scratch.count
            scratch.append(contentsOf: fixed.utf8)
            src = (true, start..<scratch.count)
        } else {
            return missing("source")
        }
        return scratch.withUnsafeBufferPointer { sb in
            func view(_ p: (inScratch: Bool, range: Range<Int>)) -> UnsafeBufferPointer<UInt8> {
                p.inScratch ? UnsafeBufferPointer(rebasing: sb[p.range]) : UnsafeBufferPointer(rebasing: s.bytes[p.range])
            }
            return validateAndWrite(
                s, parser: parser, eventID: view(id), source: view(src), typeToken: typeToken, name: view(name),
                time: view(time), to: &out)
        }
    }

    private func validateAndWrite(
        _ s: JSONScanner, parser: EventLineParser, eventID eventIDBytes: UnsafeBufferPointer<UInt8>,
        source sourceBytes: UnsafeBufferPointer<UInt8>, typeToken: JSONScanner.StringToken,
        name nameBytes: UnsafeBufferPointer<UInt8>, time timeBytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]
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
                    "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' does not match --source \(fixed)"))
        }
        guard (1...32).contains(sourceBytes.count), sourceBytes.allSatisfy(isSourceByte) else {
            return .failure(
                QuarantineReason(
                    .schemaViolation, field: "source",
                    "source '\(String(decoding: sourceBytes.prefix(40), as: UTF8.self))' must match [a-z0-9_-]{1,32}"))
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
        if normalized.count > 1 { normalized.sort() }
        if normalized.isEmpty {
            if let first = rejected.first { return .failure(first) }
            return .failure(
                QuarantineReason(.schemaViolation, field: "identifiers", "identifiers has no values; at least one is required"))
        }

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
        var i = 0
        while i < normalized.count {
            let kind = normalized[i].kind
            var j = i + 1
            while j < normalized.count, normalized[j].kind == kind { j += 1 }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(kind.rawValue, to: &out)
            out.append(UInt8(ascii: ":"))
            var distinct = 1
            for k in (i + 1)..<max(i + 1, j) where normalized[k].value != normalized[k - 1].value { distinct += 1 }
            if distinct == 1 {
                JSONWriter.appendString(normalized[i].value, to: &out)
            } else {
                out.append(UInt8(ascii: "["))
                for k in i..<j where k == i || normalized[k].value != normalized[k - 1].value {
                    if k > i { out.append(UInt8(ascii: ",")) }
                    JSONWriter.appendString(normalized[k].value, to: &out)
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
