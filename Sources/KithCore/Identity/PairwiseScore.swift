/// Pairwise precision, recall and F1 of a clustering of identifier values against the truth:
/// a pair of values is a true positive when both put them in one cluster.
///
/// Values the truth does not know (placeholders, values never ingested) are left out of both.
public struct PairwiseScore: Sendable, Equatable, Codable {
    public var truePositives: Int
    public var predictedPairs: Int
    public var truthPairs: Int
    /// Profiles holding values of two or more people: each is a junk link a user would see.
    public var mixedProfiles: Int

    public var precision: Double { predictedPairs == 0 ? 1 : Double(truePositives) / Double(predictedPairs) }
    public var recall: Double { truthPairs == 0 ? 1 : Double(truePositives) / Double(truthPairs) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }

    enum CodingKeys: String, CodingKey {
        case precision, recall, f1
        case truePositives = "true_positives"
        case predictedPairs = "predicted_pairs"
        case truthPairs = "truth_pairs"
        case mixedProfiles = "mixed_profiles"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        truePositives = try c.decode(Int.self, forKey: .truePositives)
        predictedPairs = try c.decode(Int.self, forKey: .predictedPairs)
        truthPairs = try c.decode(Int.self, forKey: .truthPairs)
        mixedProfiles = try c.decodeIfPresent(Int.self, forKey: .mixedProfiles) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(precision, forKey: .precision)
        try c.encode(recall, forKey: .recall)
        try c.encode(f1, forKey: .f1)
        try c.encode(truePositives, forKey: .truePositives)
        try c.encode(predictedPairs, forKey: .predictedPairs)
        try c.encode(truthPairs, forKey: .truthPairs)
        try c.encode(mixedProfiles, forKey: .mixedProfiles)
    }

    public init(predicted: [[Identifier]], truth: [[Identifier]]) {
        var truthCluster: [Identifier: Int] = [:]
        for (i, cluster) in truth.enumerated() { for v in cluster { truthCluster[v] = i } }
        var predictedCluster: [Identifier: Int] = [:]
        for (i, cluster) in predicted.enumerated() {
            for v in cluster where truthCluster[v] != nil { predictedCluster[v] = i }
        }
        func pairs(_ n: Int) -> Int { n * (n - 1) / 2 }
        var predictedSizes: [Int: Int] = [:]
        var truthSizes: [Int: Int] = [:]
        var overlap: [Int64: Int] = [:]
        for (v, p) in predictedCluster {
            guard let t = truthCluster[v] else { continue }
            predictedSizes[p, default: 0] += 1
            truthSizes[t, default: 0] += 1
            overlap[Int64(p) << 32 | Int64(t), default: 0] += 1
        }
        truePositives = overlap.values.reduce(0) { $0 + pairs($1) }
        predictedPairs = predictedSizes.values.reduce(0) { $0 + pairs($1) }
        truthPairs = truthSizes.values.reduce(0) { $0 + pairs($1) }
        var people: [Int: Set<Int>] = [:]
        for key in overlap.keys { people[Int(key >> 32), default: []].insert(Int(key & 0xFFFF_FFFF)) }
        mixedProfiles = people.values.filter { $0.count > 1 }.count
    }
}
