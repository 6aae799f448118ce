// Tests of job ids (RFC 19): every text form against vectors from RFC 19 and flux-core's
// t2200-job-cmd.t, exact parse errors, FLUID fields, and the generator's ordering.
import Testing
@testable import FluxsFormats

/// One id and its spelling in every form.
struct JobIDVector: Sendable, CustomTestStringConvertible {
    var value: UInt64
    var forms: [JobIDForm: String]
    var testDescription: String { String(value) }
}

private func vector(_ value: UInt64, _ hex: String, _ dothex: String, f58 digits: String, _ words: String)
    -> JobIDVector
{
    JobIDVector(value: value, forms: [
        .dec: String(value), .hex: hex, .dothex: dothex, .kvs: "job." + dothex,
        .f58: "ƒ" + digits, .f58plain: "f" + digits, .words: words,
    ])
}

let jobIDVectors: [JobIDVector] = [
    vector(0, "0x0", "0000.0000.0000.0000", f58: "1", "academy-academy-academy--academy-academy-academy"),
    vector(1, "0x1", "0000.0000.0000.0001", f58: "2", "acrobat-academy-academy--academy-academy-academy"),
    vector(6_731_191_091_817_518, "0x17e9fb8df16c2e", "0017.e9fb.8df1.6c2e", f58: "uZZybuNNy",
           "reform-remote-galileo--heart-package-academy"),
    vector(4_181_414_752_813_056, "0xedaf97d000000", "000e.daf9.7d00.0000", f58: "ZemgA8Bzf",
           "random-idea-yoyo--sugar-printer-academy"),
    vector(8_213_253_243_011_072, "0x1d2de90a000000", "001d.2de9.0a00.0000", f58: "278oEf7zGf",
           "peace-turbo-barcode--cement-pretend-academy"),
    vector(UInt64.max, "0xffffffffffffffff", "ffff.ffff.ffff.ffff", f58: "jpXCZedGfVQ",
           "natural-analyze-verbal--natural-analyze-verbal"),
]

/// Job ids and the FLUID generator (RFC 19).
@Suite struct JobIDTests {
    @Test(arguments: jobIDVectors)
    func formatsEveryForm(_ vector: JobIDVector) {
        for form in JobIDForm.allCases {
            #expect(JobID(vector.value).formatted(form) == vector.forms[form], "form \(form)")
        }
    }

    @Test(arguments: jobIDVectors)
    func parsesEveryForm(_ vector: JobIDVector) throws {
        for form in JobIDForm.allCases {
            #expect(try JobID(parsing: #require(vector.forms[form])).value == vector.value, "form \(form)")
        }
    }

    @Test(arguments: [
        (" 42 ", 42), ("\t0x2a\n", 42), ("0X", nil), ("0x2A", 42), ("0.0.0.2a", 42),
        ("job.0000.0000.0000.002A", 42), ("f112", 1), ("ƒ11111111111111111112", 1),
        ("REFORM-remote-GALILEO--heart-package-Academy", 6_731_191_091_817_518),
        ("-reform-remote-galileo---heart-package-academy-", 6_731_191_091_817_518),
        ("00000000000000000042", 42),
    ] as [(String, UInt64?)])
    func parsesLenientSpellings(_ text: String, _ expected: UInt64?) {
        #expect((try? JobID(parsing: text))?.value == expected)
    }

    @Test(arguments: [
        ("", #"job id "": is empty"#),
        (" \t ", #"job id "": is empty"#),
        ("12x", #"job id "12x": not a valid job id"#),
        ("meep", #"job id "meep": not a valid job id"#),
        ("+5", #"job id "+5": not a valid job id"#),
        ("18446744073709551616", #"job id "18446744073709551616": too large for 64 bits"#),
        ("0x", #"job id "0x": no hex digits after "0x""#),
        ("0x1g", #"job id "0x1g": invalid hex digit 'g'"#),
        ("0x10000000000000000", #"job id "0x10000000000000000": too large for 64 bits"#),
        ("ƒ0OIl", #"job id "ƒ0OIl": invalid f58 character '0'"#),
        ("fuZZ€", #"job id "fuZZ€": invalid f58 character '€'"#),
        ("ƒ", #"job id "ƒ": no digits after the f58 prefix"#),
        ("fjpXCZedGfVR", #"job id "fjpXCZedGfVR": too large for 64 bits"#),
        ("job.0000.0000", #"job id "job.0000.0000": dothex form needs 4 groups of 1-4 hex digits"#),
        ("job.0000.0000.0000.000P", #"job id "job.0000.0000.0000.000P": invalid hex digit 'P'"#),
        ("0.0.0.0.0", #"job id "0.0.0.0.0": dothex form needs 4 groups of 1-4 hex digits"#),
        ("00000.0.0.0", #"job id "00000.0.0.0": dothex form needs 4 groups of 1-4 hex digits"#),
        ("0..0.0", #"job id "0..0.0": dothex form needs 4 groups of 1-4 hex digits"#),
        ("bad-words", #"job id "bad-words": unknown word "bad""#),
        ("a-a-a--a-a-a", #"job id "a-a-a--a-a-a": unknown word "a""#),
        ("-1", #"job id "-1": invalid character '1' in words form"#),
        ("reform-remote-galileo", #"job id "reform-remote-galileo": words form needs 6 words, got 3"#),
        ("yoyo-yoyo-yoyo--yoyo-yoyo-yoyo-yoyo",
         #"job id "yoyo-yoyo-yoyo--yoyo-yoyo-yoyo-yoyo": words form needs 6 words, got 7"#),
        ("neon-analyze-verbal--academy-academy-academy",
         #"job id "neon-analyze-verbal--academy-academy-academy": words do not spell a 64-bit value"#),
        ("academy-academy-amen--academy-academy-academy",
         #"job id "academy-academy-amen--academy-academy-academy": words do not spell a 64-bit value"#),
        ("ego-academy-academy--academy-academy-academy",
         #"job id "ego-academy-academy--academy-academy-academy": word "ego" only ends a 24-bit tail, never a 64-bit value"#),
    ])
    func rejectsMalformedIDs(_ text: String, _ message: String) {
        #expect(throws: ParseError(message)) { try JobID(parsing: text) }
    }

    @Test func roundTripsPseudoRandomIDsInEveryForm() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let id = JobID(state >> (state % 64))
            for form in JobIDForm.allCases {
                #expect(try JobID(parsing: id.formatted(form)) == id, "\(id.value) as \(form)")
            }
        }
    }

    @Test func splitsIntoFLUIDFields() throws {
        let id = JobID(6_731_191_091_817_518)
        #expect(id.timestamp == 401_210_253)
        #expect(id.generatorID == 15451)
        #expect(id.sequence == 46)
        #expect(JobID(timestamp: 401_210_253, generatorID: 15451, sequence: 46) == id)
        let max = try #require(JobID(timestamp: (1 << 40) - 1, generatorID: 16383, sequence: 1023))
        #expect(max.value == UInt64.max)
        #expect(JobID(timestamp: 1 << 40, generatorID: 0, sequence: 0) == nil)
        #expect(JobID(timestamp: 0, generatorID: 16384, sequence: 0) == nil)
        #expect(JobID(timestamp: 0, generatorID: 0, sequence: 1024) == nil)
    }

    @Test func describesAsF58AndOrdersByValue() {
        #expect(JobID(6_731_191_091_817_518).description == "ƒuZZybuNNy")
        #expect([JobID(3), JobID(UInt64.max), JobID(0)].sorted() == [JobID(0), JobID(3), JobID(UInt64.max)])
        #expect(JobIDForm(rawValue: "f58plain") == .f58plain)
    }

    // MARK: - FLUID generator

    /// The generator's next id, failing the test when it has none.
    private func nextID(_ generator: inout FLUIDGenerator, at now: UInt64) throws -> JobID {
        let id = generator.next(nowMilliseconds: now)
        return try #require(id)
    }

    @Test(arguments: [
        (UInt16(16384), UInt64(0), "FLUID generator id 16384: must be below 16384"),
        (UInt16.max, UInt64(0), "FLUID generator id 65535: must be below 16384"),
        (UInt16(0), UInt64(1) << 40, "FLUID start timestamp 1099511627776: must be below 2^40 ms"),
    ])
    func rejectsBadGeneratorSettings(_ id: UInt16, _ start: UInt64, _ message: String) {
        #expect(throws: ParseError(message)) { try FLUIDGenerator(generatorID: id, startMilliseconds: start) }
    }

    @Test func generatorStampsTimeIDAndSequence() throws {
        var generator = try FLUIDGenerator(generatorID: 5)
        let first = try nextID(&generator, at: 0)
        let second = try nextID(&generator, at: 0)
        let later = try nextID(&generator, at: 7)
        #expect(first == JobID(timestamp: 0, generatorID: 5, sequence: 0))
        #expect(second == JobID(timestamp: 0, generatorID: 5, sequence: 1))
        #expect(later == JobID(timestamp: 7, generatorID: 5, sequence: 0))
        #expect(generator.timestamp == 7)
    }

    @Test func generatorNeverGoesBackwards() throws {
        var generator = try FLUIDGenerator(generatorID: 16383, startMilliseconds: 1000)
        #expect(try nextID(&generator, at: 5).timestamp == 1000)
        var last = JobID(0)
        var clock: UInt64 = 10_000
        for step in 0..<5000 {
            clock = step % 7 == 0 ? clock - 3 : clock + (step % 5 == 0 ? 1 : 0)  // stutters and steps back
            let id = try nextID(&generator, at: clock)
            #expect(id > last)
            last = id
        }
    }

    @Test func generatorBorrowsTheNextMillisecondWhenSequenceRunsOut() throws {
        var generator = try FLUIDGenerator(generatorID: 1, startMilliseconds: 50)
        for expected in 0..<1024 {
            #expect(try nextID(&generator, at: 50).sequence == UInt16(expected))
        }
        let borrowed = try nextID(&generator, at: 50)
        #expect(borrowed == JobID(timestamp: 51, generatorID: 1, sequence: 0))
        let caughtUp = try nextID(&generator, at: 51)
        #expect(caughtUp == JobID(timestamp: 51, generatorID: 1, sequence: 1))
    }

    @Test func generatorStopsWhenTimestampFieldIsExhausted() throws {
        let lastMillisecond: UInt64 = (1 << 40) - 1
        var generator = try FLUIDGenerator(generatorID: 2, startMilliseconds: lastMillisecond)
        let beyondTheField = generator.next(nowMilliseconds: 1 << 40)
        #expect(beyondTheField == nil)
        for _ in 0..<1024 { _ = try nextID(&generator, at: lastMillisecond) }
        let exhausted = generator.next(nowMilliseconds: lastMillisecond)
        #expect(exhausted == nil)
        #expect(generator.timestamp == lastMillisecond)
    }
}
