// The FLUID generator of RFC 19: one per generator id, issuing k-ordered job ids.
// Pure: the caller reads the clock and passes milliseconds since the FLUID epoch.
// Invariant: each id issued is greater than every id issued before by this generator,
// even when the clock stands still or steps back; when a millisecond's 1024 sequence
// numbers are used up, the generator borrows the next millisecond (flux-core instead
// waits for the clock to tick), and later clock readings catch up with the borrowing.

/// Issues unique, increasing job ids for one generator id.
public struct FLUIDGenerator: Sendable {
    /// The generator id stamped into every id (14 bits).
    public let generatorID: UInt16
    /// The timestamp of the last id issued, or the start timestamp before the first;
    /// save it to restart a generator later without going backwards.
    public private(set) var timestamp: UInt64
    /// The sequence number the next id at `timestamp` gets; 1024 means used up.
    private var nextSequence: UInt16 = 0

    private static let timestampLimit: UInt64 = 1 << JobID.timestampBits
    private static let sequenceLimit: UInt16 = 1 << JobID.sequenceBits

    /// A generator for `generatorID` (below 16384) whose ids start at `startMilliseconds`.
    public init(generatorID: UInt16, startMilliseconds: UInt64 = 0) throws(ParseError) {
        guard generatorID >> JobID.generatorIDBits == 0 else {
            throw ParseError("FLUID generator id \(generatorID): must be below \(1 << JobID.generatorIDBits)")
        }
        guard startMilliseconds < Self.timestampLimit else {
            throw ParseError("FLUID start timestamp \(startMilliseconds): must be below 2^40 ms")
        }
        self.generatorID = generatorID
        self.timestamp = startMilliseconds
    }

    /// The next id, given the clock in milliseconds since the FLUID epoch; nil once the
    /// 40-bit timestamp field is exhausted (about 34.8 years after the epoch).
    public mutating func next(nowMilliseconds: UInt64) -> JobID? {
        var stamp = timestamp
        var sequence = nextSequence
        if nowMilliseconds > stamp {
            (stamp, sequence) = (nowMilliseconds, 0)
        } else if sequence == Self.sequenceLimit {
            (stamp, sequence) = (stamp + 1, 0)
        }
        guard let id = JobID(timestamp: stamp, generatorID: generatorID, sequence: sequence) else {
            return nil
        }
        (timestamp, nextSequence) = (stamp, sequence + 1)
        return id
    }
}
