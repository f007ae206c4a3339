import Testing

@testable import KithCore

@Suite("RFM model")
struct RFMModelTests {
    let day: Int64 = 86_400
    let asOf: Int64 = 1_780_000_000

    func event(_ name: String, at: Timestamp, amount: Money) -> ProjectedEvent {
        ProjectedEvent(
            position: 0, eventID: "e", source: "pos", type: .transaction, name: name, occurredAt: at, identifiers: [],
            traits: [], amount: amount, score: nil)
    }

    func raw(days: Int64, orders: Int, yuan: Int64) -> RFMRaw {
        RFMRaw(orders: orders, lastOrder: asOf - days * day, monetary: yuan * 100)
    }

    @Test("The eight segments follow the R/F/M table, with zh and en labels and stable keys")
    func segmentTable() {
        let expected: [(Bool, Bool, Bool, String, String)] = [
            (true, true, true, "important_value", "重要价值客户"),
            (true, false, true, "important_development", "重要发展客户"),
            (false, true, true, "important_retention", "重要保持客户"),
            (false, false, true, "important_win_back", "重要挽留客户"),
            (true, true, false, "general_value", "一般价值客户"),
            (true, false, false, "general_development", "一般发展客户"),
            (false, true, false, "general_retention", "一般保持客户"),
            (false, false, false, "general_win_back", "一般挽留客户"),
        ]
        for (r, f, m, key, zh) in expected {
            let s = Segment(recentHigh: r, frequencyHigh: f, monetaryHigh: m)
            #expect(s.key == key)
            #expect(s.label(.zh) == zh)
        }
        #expect(Set(expected.map(\.3)).count == 8)
        #expect(Segment.importantWinBack.label(.en) == "important win-back")
    }

    @Test("Recency counts whole days to as_of: 86,399 s is day 0, 86,400 s day 1; later orders count as today")
    func recencyAgainstAsOf() {
        #expect(RFMRaw(orders: 1, lastOrder: asOf - 86_399).recencyDays(asOf: asOf) == 0)
        #expect(RFMRaw(orders: 1, lastOrder: asOf - 86_400).recencyDays(asOf: asOf) == 1)
        #expect(RFMRaw(orders: 1, lastOrder: asOf + 5 * day).recencyDays(asOf: asOf) == 0)
        #expect(RFMRaw(orders: 0).recencyDays(asOf: asOf) == nil)
    }

    @Test("Refunds reduce monetary but are not orders; a refund-only profile is a prospect")
    func refunds() {
        var stats = NodeStats()
        let t = Timestamp(epochSeconds: asOf - day)
        stats.add(event("order_completed", at: t, amount: Money(minorUnits: 15_800, currency: "CNY")))
        stats.add(event("refund", at: t, amount: Money(minorUnits: 5_000, currency: "CNY")))
        stats.add(event("order_completed", at: t, amount: Money(minorUnits: 999, currency: "USD")))
        let r = RFMRaw(stats, currency: "CNY")
        #expect(r.orders == 2)  // orders in another currency still count as orders
        #expect(r.monetary == 10_800)
        var refundOnly = NodeStats()
        refundOnly.add(event("refund", at: t, amount: Money(minorUnits: 100, currency: "CNY")))
        let p = RFMRaw(refundOnly, currency: "CNY")
        #expect(!p.isScored)
        #expect(p.monetary == -100)
        let model = RFMModel.fit([r, p], rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(model.score(p) == nil)
        #expect(model.stage(p) == .prospect)
    }

    @Test("Quintile edges are nearest-rank; a value on an edge falls in the lower bin, so equal values share a score")
    func quintiles() {
        // Frequencies 1…10: edges at ranks 2, 4, 6, 8 → values 2, 4, 6, 8.
        let raws = (1...10).map { raw(days: Int64($0), orders: $0, yuan: Int64($0) * 10) }
        let model = RFMModel.fit(raws, rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(model.edges.frequency == [2, 4, 6, 8])
        #expect(model.edges.recencyDays == [2, 4, 6, 8])
        let f = raws.map { model.score($0)!.f }
        #expect(f == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        let r = raws.map { model.score($0)!.r }
        #expect(r == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1])  // fewer days is better
        // Heavy ties: most customers order once. All of them score the same.
        let tied = (0..<10).map { raw(days: 10, orders: $0 < 7 ? 1 : 3, yuan: 50) }
        let t = RFMModel.fit(tied, rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(Set(tied.prefix(7).map { t.score($0)!.f }) == [1])
        #expect(Set(tied.suffix(3).map { t.score($0)!.f }).count == 1)
        #expect(Set(tied.map { t.score($0)!.m }) == [1])
    }

    @Test("High means strictly better than the mean: a value equal to the threshold is low, for every dimension")
    func meanTies() {
        // Days 10 and 30 (mean 20), orders 1 and 3 (mean 2), 100 and 300 yuan (mean 200), plus
        // one profile exactly on every mean.
        let a = raw(days: 10, orders: 3, yuan: 300)
        let b = raw(days: 30, orders: 1, yuan: 100)
        let onMean = raw(days: 20, orders: 2, yuan: 200)
        let model = RFMModel.fit([a, b, onMean], rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(model.recencyThreshold.compare(20) == 0)
        #expect(model.score(a)?.segment == .importantValue)
        #expect(model.score(b)?.segment == .generalWinBack)
        #expect(model.score(onMean)?.segment == .generalWinBack)
        // One step better than the mean on one dimension at a time.
        #expect(model.score(raw(days: 19, orders: 2, yuan: 200))?.segment == .generalDevelopment)
        #expect(model.score(raw(days: 20, orders: 3, yuan: 200))?.segment == .generalRetention)
        #expect(
            model.score(RFMRaw(orders: 2, lastOrder: asOf - 20 * day, monetary: 20_001))?.segment == .importantWinBack)
    }

    @Test("A fractional mean and an even-count median are compared exactly")
    func exactThresholds() {
        let raws = [
            raw(days: 1, orders: 1, yuan: 1), raw(days: 2, orders: 1, yuan: 1), raw(days: 2, orders: 2, yuan: 2),
        ]
        let model = RFMModel.fit(raws, rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(model.frequencyThreshold == Threshold(4, over: 3))
        #expect(model.frequencyThreshold.compare(1) < 0 && model.frequencyThreshold.compare(2) > 0)
        #expect(model.frequencyThreshold.decimal(places: 2) == "1.33")
        let median = RFMModel.fit(
            [raw(days: 1, orders: 1, yuan: 1), raw(days: 4, orders: 2, yuan: 1)],
            rules: RFMRules(thresholds: .median), lifecycle: LifecycleRules(), asOf: asOf)
        #expect(median.recencyThreshold == Threshold(5, over: 2))
        #expect(median.score(raw(days: 2, orders: 1, yuan: 1))?.segment.key.hasPrefix("general_development") == true)
    }

    @Test("Fixed edges and thresholds apply as given")
    func fixedRules() {
        let rules = RFMRules(
            scores: .fixed(
                .init(
                    recencyDays: [30, 90, 180, 365], frequency: [1, 2, 4, 8],
                    monetary: [10_000, 30_000, 80_000, 200_000])),
            thresholds: .fixed(recencyDays: 90, frequency: 2, monetary: 50_000))
        let model = RFMModel.fit([], rules: rules, lifecycle: LifecycleRules(), asOf: asOf)
        let s = model.score(raw(days: 90, orders: 2, yuan: 500))!
        #expect((s.r, s.f, s.m) == (4, 2, 3))
        #expect(s.segment == .generalWinBack)  // 90 days, 2 orders, 500.00: all exactly on the thresholds
        let t = model.score(raw(days: 89, orders: 9, yuan: 2_001))!
        #expect((t.r, t.f, t.m) == (4, 5, 5))
        #expect(t.segment == .importantValue)
    }

    @Test("Lifecycle stages at every boundary")
    func lifecycle() {
        let rules = LifecycleRules(atRiskDays: 30, churnedDays: 180, loyalMinOrders: 4, loyalMaxRecencyDays: 29)
        func stage(_ days: Int64, _ orders: Int) -> LifecycleStage {
            LifecycleStage(raw(days: days, orders: orders, yuan: 1), asOf: asOf, rules: rules)
        }
        #expect(LifecycleStage(RFMRaw(), asOf: asOf, rules: rules) == .prospect)
        #expect(stage(0, 1) == .new)
        #expect(stage(29, 1) == .new)
        #expect(stage(30, 1) == .atRisk)
        #expect(stage(179, 9) == .atRisk)
        #expect(stage(180, 9) == .churned)
        #expect(stage(5, 2) == .repeat_)
        #expect(stage(5, 3) == .repeat_)
        #expect(stage(29, 4) == .loyal)
        #expect(stage(30, 4) == .atRisk)
    }

    @Test("Summing a profile's raw values does not depend on their order")
    func rawSumOrderIndependent() {
        var rng = SplitMixForTests(seed: 11)
        for _ in 0..<200 {
            let parts = (0..<rng.int(1..<8)).map { _ in
                RFMRaw(
                    orders: rng.int(0..<5), lastOrder: rng.int(0..<3) == 0 ? nil : Int64(rng.int(0..<1_000_000)),
                    monetary: Int64(rng.int(-5_000..<50_000)))
            }
            var forward = RFMRaw()
            parts.forEach { forward.add($0) }
            var backward = RFMRaw()
            parts.reversed().forEach { backward.add($0) }
            var shuffled = RFMRaw()
            parts.sorted { $0.monetary < $1.monetary }.forEach { shuffled.add($0) }
            #expect(forward == backward && forward == shuffled)
        }
    }

    @Test("The summary adds up: every profile in one stage, every scored one in one segment and one grid cell")
    func summaryAddsUp() {
        var rng = SplitMixForTests(seed: 4)
        let raws = (0..<500).map { _ in
            rng.int(0..<4) == 0
                ? RFMRaw() : raw(days: Int64(rng.int(0..<400)), orders: rng.int(1..<9), yuan: Int64(rng.int(1..<3_000)))
        }
        let model = RFMModel.fit(raws, rules: RFMRules(), lifecycle: LifecycleRules(), asOf: asOf)
        let summary = RFMSummary(raws, model: model)
        #expect(summary.profiles == 500)
        #expect(summary.scored == raws.filter(\.isScored).count)
        #expect(summary.segments.map(\.count).reduce(0, +) == summary.scored)
        #expect(summary.grid.map(\.count).reduce(0, +) == summary.scored)
        #expect(summary.stages.values.reduce(0, +) == 500)
        #expect(summary.stages["prospect"] == raws.filter { !$0.isScored }.count)
        let counted = Dictionary(grouping: raws.compactMap { model.score($0)?.segment }, by: { $0 }).mapValues(
            \.count)
        for row in summary.segments { #expect(row.count == counted[row.segment] ?? 0) }
    }

    @Test("Selecting ranks gives what sorting gives, for any ranks, duplicates and orderings")
    func selectionAgreesWithSorting() {
        var rng = SplitMixForTests(seed: 0x5E1E)
        for round in 0..<400 {
            let n = rng.int(1..<300)
            // Few distinct values (order counts, days) as well as many (monetary); some runs sorted.
            let spread = [1, 3, 20, 1_000_000][rng.int(0..<4)]
            var values = (0..<n).map { _ in Int64(rng.int(0..<spread)) - Int64(spread / 3) }
            switch rng.int(0..<4) {
            case 0: values.sort()
            case 1: values.sort(by: >)
            default: break
            }
            let ranks = (0..<rng.int(1..<6)).map { _ in rng.int(0..<n) }
            let sorted = values.sorted()
            var scratch = values
            let selected = OrderStatistics.select(ranks, in: &scratch)
            #expect(selected == ranks.map { sorted[$0] }, "round \(round): ranks \(ranks) of \(values)")
            #expect(scratch.sorted() == sorted, "round \(round): selection lost or invented a value")
            var middle = values
            let median = RFMModel.median(&middle)
            let expected =
                n % 2 == 1 ? Threshold(sorted[n / 2]) : Threshold(sorted[n / 2 - 1] + sorted[n / 2], over: 2)
            #expect(median == expected, "round \(round)")
        }
    }

    @Test("A segment's and a stage's ordinal is its place in allCases (the summary's rows follow it)")
    func ordinalsFollowAllCases() {
        #expect(Segment.allCases.map(\.ordinal) == Array(0..<Segment.allCases.count))
        #expect(LifecycleStage.allCases.map(\.ordinal) == Array(0..<LifecycleStage.allCases.count))
    }
}
