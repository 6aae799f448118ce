// Tests of IDSet (RFC 22): parsing (including every error message), canonical
// formatting, round trips, huge ranges, set algebra and positional access.
import Testing
@testable import FluxsFormats

@Suite struct IDSetParsingTests {
    @Test(arguments: [
        ("", [ClosedRange<UInt32>]()),
        ("[]", []),
        ("7", [7...7]),
        ("0", [0...0]),
        ("0-3,7", [0...3, 7...7]),
        ("[0-3,7]", [0...3, 7...7]),
        ("1,2,3,5,6,42", [1...3, 5...6, 42...42]),
        ("1-3,5-6,42", [1...3, 5...6, 42...42]),
        ("[1-3,5-6,42]", [1...3, 5...6, 42...42]),
        ("3-3", [3...3]),
        // Lenient: any order, overlaps and adjacency are merged.
        ("7,0-3", [0...3, 7...7]),
        ("5,3,4", [3...5]),
        ("0-5,3-9,10", [0...10]),
        ("2,2,2", [2...2]),
        ("4294967295", [UInt32.max...UInt32.max]),
        ("0-4294967295", [0...UInt32.max]),
    ])
    func parses(text: String, ranges: [ClosedRange<UInt32>]) throws {
        #expect(try IDSet(parsing: text).ranges == ranges)
    }

    @Test(arguments: [
        ("3-1", #"idset "3-1": range "3-1" is reversed"#),
        ("1,,2", #"idset "1,,2": empty element"#),
        ("1,", #"idset "1,": empty element"#),
        (",1", #"idset ",1": empty element"#),
        ("[,]", #"idset "[,]": empty element"#),
        ("[1-3", #"idset "[1-3": missing "]""#),
        ("[", #"idset "[": missing "]""#),
        ("1-3]", #"idset "1-3]": unexpected character "]""#),
        ("[[1]]", #"idset "[[1]]": unexpected character "[""#),
        ("1-", #"idset "1-": range "1-" has no end"#),
        ("-1", #"idset "-1": range "-1" has no start"#),
        ("1-2-3", #"idset "1-2-3": unexpected character "-""#),
        ("1--2", #"idset "1--2": unexpected character "-""#),
        ("01", #"idset "01": id "01" has a leading zero"#),
        ("1-007", #"idset "1-007": id "007" has a leading zero"#),
        ("4294967296", #"idset "4294967296": id "4294967296" is too large"#),
        ("0-99999999999999999999", #"idset "0-99999999999999999999": id "99999999999999999999" is too large"#),
        ("1, 2", #"idset "1, 2": unexpected character " ""#),
        (" 1", #"idset " 1": unexpected character " ""#),
        ("1\t", #"idset "1\#t": unexpected character U+0009"#),
        ("a", #"idset "a": unexpected character "a""#),
        ("1é", #"idset "1é": unexpected character "é""#),
        ("+1", #"idset "+1": unexpected character "+""#),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: ParseError(message)) { try IDSet(parsing: text) }
    }

    @Test func errorQuotesLongInputShortened() {
        let text = (0..<40).map(String.init).joined(separator: ",") + ",x"
        let shown = String(text.prefix(61)) + "..."
        #expect(throws: ParseError("idset \"\(shown)\": unexpected character \"x\"")) { try IDSet(parsing: text) }
    }

    @Test func parsesSubstrings() throws {
        let text = "ranks=0-3,7"
        let value = text[text.index(after: text.firstIndex(of: "=")!)...]
        #expect(try IDSet(parsing: value) == [0, 1, 2, 3, 7])
    }
}

@Suite struct IDSetFormattingTests {
    @Test(arguments: [
        ([UInt32](), "", ""),
        ([7], "7", "7"),
        ([0, 1, 2, 3, 7], "0-3,7", "[0-3,7]"),
        ([5, 6], "5-6", "[5-6]"),
        ([1, 3, 5], "1,3,5", "[1,3,5]"),
        ([0, UInt32.max], "0,4294967295", "[0,4294967295]"),
    ])
    func formats(ids: [UInt32], plain: String, bracketed: String) {
        let set = IDSet(ids)
        #expect(set.description == plain)
        #expect(set.formatted(brackets: true) == bracketed)
        #expect(set.formatted(brackets: false) == plain)
    }

    @Test(arguments: ["", "0", "0-3,7", "1-3,5-6,42", "0-4294967294", "0,2,4,6,8", "4294967295", "100-200,300,4000000000-4294967295"])
    func roundTrips(text: String) throws {
        let set = try IDSet(parsing: text)
        #expect(set.description == text)
        #expect(try IDSet(parsing: set.description) == set)
        #expect(try IDSet(parsing: set.formatted(brackets: true)) == set)
    }

    @Test func fragmentedSetRoundTrips() throws {
        let set = IDSet(stride(from: UInt32(0), to: 30_000, by: 3))
        #expect(set.ranges.count == 10_000)
        #expect(try IDSet(parsing: set.description) == set)
    }
}

@Suite struct IDSetHugeTests {
    @Test func hugeRangeCountsAndFormatsWithoutExpanding() throws {
        let set = try IDSet(parsing: "0-4294967294")
        #expect(set.count == 4_294_967_295)
        #expect(set.ranges == [0...4_294_967_294])
        #expect(set.description == "0-4294967294")
        #expect(set.formatted(brackets: true) == "[0-4294967294]")
        #expect(set.first == 0 && set.last == 4_294_967_294)
        #expect(set.contains(4_294_967_294) && !set.contains(UInt32.max))
        #expect(set.nth(4_294_967_294) == 4_294_967_294)
        #expect(set.index(of: 3_000_000_000) == 3_000_000_000)
    }

    @Test func wholeSpaceCountsTwoToThe32() {
        var set = IDSet(range: 0...UInt32.max)
        #expect(set.count == 1 << 32)
        set.remove(UInt32.max)
        set.remove(0)
        #expect(set.description == "1-4294967294")
        #expect(set.count == (1 << 32) - 2)
    }

    @Test func iterationReachesTheLargestIDWithoutOverflow() {
        let set = IDSet(range: (UInt32.max - 2)...UInt32.max)
        #expect(Array(set) == [UInt32.max - 2, UInt32.max - 1, UInt32.max])
    }

    @Test func hugeAlgebraStaysInRanges() {
        let all = IDSet(range: 0...4_294_967_294)
        let odd = IDSet([1, 3, 4_000_000_001])
        let rest = all.subtracting(odd)
        #expect(rest.ranges.count == 4)
        #expect(rest.count == 4_294_967_295 - 3)
        #expect(rest.union(odd) == all)
        #expect(all.intersection(odd) == odd)
    }
}

@Suite struct IDSetOperationTests {
    @Test func insertMergesNeighbours() {
        var set: IDSet = [1, 5]
        set.insert(3)
        #expect(set.description == "1,3,5")
        set.insert(2)
        #expect(set.description == "1-3,5")
        set.insert(4)
        #expect(set.ranges == [1...5])
        #expect(set.count == 5)
        set.insert(contentsOf: 0...10)
        #expect(set.ranges == [0...10] && set.count == 11)
        set.insert(contentsOf: 20...30)
        set.insert(contentsOf: 11...19)
        #expect(set.ranges == [0...30] && set.count == 31)
    }

    @Test func removeSplitsRuns() {
        var set = IDSet(range: 0...9)
        set.remove(5)
        #expect(set.description == "0-4,6-9" && set.count == 9)
        set.remove(5)
        #expect(set.count == 9)
        set.remove(contentsOf: 3...7)
        #expect(set.description == "0-2,8-9" && set.count == 5)
        set.remove(contentsOf: 0...100)
        #expect(set.isEmpty && set.count == 0 && set.first == nil && set.last == nil)
    }

    @Test(arguments: [
        ("0-3,7", "2-5", "0-5,7", "2-3", "0-1,7"),
        ("", "1-3", "1-3", "", ""),
        ("1-3", "", "1-3", "", "1-3"),
        ("0,2,4,6", "1,3,5", "0-6", "", "0,2,4,6"),
        ("0-100", "10,20-30,99", "0-100", "10,20-30,99", "0-9,11-19,31-98,100"),
        ("0-4294967295", "4294967295", "0-4294967295", "4294967295", "0-4294967294"),
    ])
    func algebra(a: String, b: String, union: String, intersection: String, difference: String) throws {
        let x = try IDSet(parsing: a), y = try IDSet(parsing: b)
        #expect(x.union(y).description == union)
        #expect(y.union(x).description == union)
        #expect(x.intersection(y).description == intersection)
        #expect(y.intersection(x).description == intersection)
        #expect(x.subtracting(y).description == difference)
        #expect(x.intersection(y).isSubset(of: x) && x.intersection(y).isSubset(of: y))
        #expect(x.subtracting(y).isDisjoint(with: y))
    }

    @Test func subsets() {
        let set: IDSet = [0, 1, 2, 3, 7]
        #expect(IDSet([1, 2]).isSubset(of: set))
        #expect(IDSet().isSubset(of: set))
        #expect(set.isSubset(of: set))
        #expect(!IDSet([3, 4]).isSubset(of: set))
        #expect(!IDSet([8]).isSubset(of: set))
        #expect(!set.isSubset(of: IDSet()))
    }

    @Test func nthAndIndexAreInverse() throws {
        let set = try IDSet(parsing: "2-4,10,20-21")
        let ids: [UInt32] = [2, 3, 4, 10, 20, 21]
        for (i, id) in ids.enumerated() {
            #expect(set.nth(i) == id)
            #expect(set.index(of: id) == i)
        }
        #expect(set.nth(6) == nil && set.nth(-1) == nil)
        #expect(set.index(of: 5) == nil && set.index(of: 0) == nil && set.index(of: 22) == nil)
        #expect(Array(set) == ids)
        #expect(set.count == 6)
    }

    @Test func containsUsesRuns() throws {
        let set = try IDSet(parsing: "2-4,10")
        #expect([1, 2, 3, 4, 5, 9, 10, 11].map { set.contains($0) } == [false, true, true, true, false, false, true, false])
        #expect(!IDSet().contains(0))
    }

    @Test func initializersAgree() {
        #expect(IDSet([7, 3, 1, 2, 3]) == IDSet(range: 1...3).union([7]))
        #expect(IDSet(range: 4...4) == [4])
        #expect(IDSet() == IDSet([UInt32]()))
        #expect(IDSet([3, 2, 1]).ranges == [1...3])
    }
}
