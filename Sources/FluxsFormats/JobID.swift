// Flux job ids: FLUIDs, the 64-bit locally unique ids of RFC 19.
// Bit layout, most significant first: [ timestamp:40 | generator id:14 | sequence:10 ],
// so ids from one generator sort by time and ids from different generators never collide.
// Invariant: every UInt64 is a valid id (the three fields exactly tile 64 bits), and the
// order of ids is the order of their values.

/// A Flux job id (a FLUID, RFC 19).
///
/// Text forms live in `JobID+Formatting.swift` and `JobID+Parsing.swift`.
public struct JobID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The id as a 64-bit integer (its "dec" form).
    public var value: UInt64

    /// Width of the timestamp field in bits.
    public static let timestampBits = 40
    /// Width of the generator id field in bits.
    public static let generatorIDBits = 14
    /// Width of the sequence field in bits.
    public static let sequenceBits = 10

    /// Wraps a 64-bit integer; every value is a valid id.
    @inlinable public init(_ value: UInt64) { self.value = value }

    /// Assembles an id from its fields, or nil when a field does not fit its width.
    public init?(timestamp: UInt64, generatorID: UInt16, sequence: UInt16) {
        guard timestamp >> Self.timestampBits == 0,
              generatorID >> Self.generatorIDBits == 0,
              sequence >> Self.sequenceBits == 0
        else { return nil }
        value = timestamp << (Self.generatorIDBits + Self.sequenceBits)
            | UInt64(generatorID) << Self.sequenceBits
            | UInt64(sequence)
    }

    /// Milliseconds since the generator's epoch when the id was made (the top 40 bits).
    public var timestamp: UInt64 { value >> (Self.generatorIDBits + Self.sequenceBits) }

    /// The generator that made the id (14 bits).
    public var generatorID: UInt16 {
        UInt16(truncatingIfNeeded: value >> Self.sequenceBits) & (1 << Self.generatorIDBits - 1)
    }

    /// The id's place among those made by its generator in its millisecond (10 bits).
    public var sequence: UInt16 {
        UInt16(truncatingIfNeeded: value) & (1 << Self.sequenceBits - 1)
    }

    /// The F58 form with the "ƒ" prefix, e.g. `ƒuZZybuNNy`.
    public var description: String { formatted(.f58) }

    /// Ids order by value, which is time order for one generator.
    @inlinable public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.value < rhs.value }

    // Written out and inlinable (not synthesized): schedulers and job tables in other
    // modules key dictionaries and sort by ids, and must not pay a call per comparison.
    @inlinable public static func == (lhs: JobID, rhs: JobID) -> Bool { lhs.value == rhs.value }

    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    // A dictionary keyed by ids hashes as fast as one keyed by UInt64 (the one-shot
    // integer hash, not a Hasher made for each lookup): the scheduler's queue and the
    // job manager's tables are such dictionaries.
    @inlinable public func _rawHashValue(seed: Int) -> Int { value._rawHashValue(seed: seed) }
}

extension JobID: ExpressibleByIntegerLiteral {
    /// An id written as its integer (the "dec" form), as tests and simulations do.
    public init(integerLiteral value: UInt64) { self.init(value) }
}
