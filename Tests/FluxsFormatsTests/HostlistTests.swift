// Tests of Hostlist (RFC 29): the RFC's test vectors, zero padding, compression,
// every parse error message, huge ranges kept compact, order and set algebra.
import Testing
@testable import FluxsFormats

@Suite struct HostlistParsingTests {
    @Test(arguments: [
        // RFC 29 test vectors.
        ("", [String]()),
        ("foox,fooy,fooz", ["foox", "fooy", "fooz"]),
        ("[1-3,5-6]", ["1", "2", "3", "5", "6"]),
        ("foo[1-5]", ["foo1", "foo2", "foo3", "foo4", "foo5"]),
        ("foo[0-4]-eth2", ["foo0-eth2", "foo1-eth2", "foo2-eth2", "foo3-eth2", "foo4-eth2"]),
        ("foo1,foo1,foo1", ["foo1", "foo1", "foo1"]),
        ("[00-02]", ["00", "01", "02"]),
        ("[00-2]", ["00", "01", "02"]),
        ("foo[1,1,2,1]", ["foo1", "foo1", "foo2", "foo1"]),
        // Zero padding: the first element's width applies to all, wider elements keep theirs.
        ("n[005,4,11-13]", ["n005", "n004", "n011", "n012", "n013"]),
        ("n[08-11]", ["n08", "n09", "n10", "n11"]),
        ("n[9-10]", ["n9", "n10"]),
        ("n[98-100]", ["n98", "n99", "n100"]),
        ("n[1,05]", ["n1", "n05"]),
        ("n[10,5]", ["n10", "n5"]),
        ("n[0,00]", ["n0", "n00"]),
        // Order and repeats are kept; empty expressions add nothing.
        ("n[5,4,10]", ["n5", "n4", "n10"]),
        ("a,,b,", ["a", "b"]),
        (",", []),
        ("node[0-3,7],login1", ["node0", "node1", "node2", "node3", "node7", "login1"]),
        ("n[0-1]x,y", ["n0x", "n1x", "y"]),
        ("rack1-n[1-2].ib", ["rack1-n1.ib", "rack1-n2.ib"]),
        ("-a_b.c~", ["-a_b.c~"]),
    ])
    func parses(text: String, hosts: [String]) throws {
        let list = try Hostlist(parsing: text)
        #expect(list.hosts == hosts)
        #expect(list.count == hosts.count)
        #expect(list == Hostlist(hosts))
    }

    @Test(arguments: [
        ("n[1-", #"hostlist "n[1-": missing "]""#),
        ("n[1,2,m3", #"hostlist "n[1,2,m3": missing "]""#),
        ("n]", #"hostlist "n]": unexpected character "]""#),
        ("n[1]]", #"hostlist "n[1]]": unexpected character "]""#),
        ("a[1]b[2]", #"hostlist "a[1]b[2]": expression "a[1]b[2]" has more than one "[""#),
        ("x,a[1]b[2,3]c,y", #"hostlist "x,a[1]b[2,3]c,y": expression "a[1]b[2,3]c" has more than one "[""#),
        ("n[]", #"hostlist "n[]": empty element in "[]""#),
        ("n[1,,2]", #"hostlist "n[1,,2]": empty element in "[1,,2]""#),
        ("n[1,]", #"hostlist "n[1,]": empty element in "[1,]""#),
        ("n[3-1]", #"hostlist "n[3-1]": range "3-1" is reversed"#),
        ("n[1-]", #"hostlist "n[1-]": range "1-" has no end"#),
        ("n[-1]", #"hostlist "n[-1]": range "-1" has no start"#),
        ("n[1-2-3]", #"hostlist "n[1-2-3]": unexpected character "-" in "[1-2-3]""#),
        ("n[a]", #"hostlist "n[a]": unexpected character "a" in "[a]""#),
        ("n[[1]]", #"hostlist "n[[1]]": unexpected character "[" in "[[1]""#),
        ("n[1 ]", #"hostlist "n[1 ]": unexpected character " " in "[1 ]""#),
        ("n[4294967296]", #"hostlist "n[4294967296]": number "4294967296" is too large"#),
        ("a b", #"hostlist "a b": unexpected character " ""#),
        ("a\tb", #"hostlist "a\#tb": unexpected character U+0009"#),
        ("nö", #"hostlist "nö": unexpected character "ö""#),
        ("n[1]x y", #"hostlist "n[1]x y": unexpected character " ""#),
    ])
    func rejects(text: String, message: String) {
        #expect(throws: ParseError(message)) { try Hostlist(parsing: text) }
    }
}

@Suite struct HostlistFormattingTests {
    @Test(arguments: [
        ("node0,node1,node2,node3,node7,login1", "node[0-3,7],login1"),
        ("n[00-10]", "n[00-10]"),
        ("n00,n01,n02", "n[00-02]"),
        ("n9,n10", "n[9-10]"),
        ("n09,n10", "n[09-10]"),
        ("n9,n010", "n[9,010]"),
        ("n01,n5", "n01,n5"),
        ("n01,n10", "n[01,10]"),
        ("n[1-3],n[4-6]", "n[1-6]"),
        ("n[1-3],m1,n[4-6]", "n[1-3],m1,n[4-6]"),
        ("foo[1,1,2,1]", "foo[1,1-2,1]"),
        ("foo0-eth2,foo1-eth2,foo2-eth2", "foo[0-2]-eth2"),
        ("foo[0-1]-eth2,foo2-eth2,foo3-eth2", "foo[0-3]-eth2"),
        ("foo0-eth2,foo[1-3]-eth2", "foo[0-3]-eth2"),
        ("a1b1,a2b1,a3b1", "a[1-3]b1"),
        ("[1-3,5-6]", "[1-3,5-6]"),
        ("login,n1", "login,n1"),
        ("n0[1-2]", "n0[1-2]"),
        ("", ""),
    ])
    func compresses(text: String, compressed: String) throws {
        #expect(try Hostlist(parsing: text).description == compressed)
    }

    @Test(arguments: [
        "node[0-3,7],login1", "n[00-10]", "n[9-10]", "n[005,4,11-13]", "n[1,05]", "n[10,5]", "n[0,00]",
        "foo[0-4]-eth2", "foo[1,1,2,1]", "[00-2]", "n[01,5],n[1-3],n[001-003]", "a,b,a", "n[9,010,11]",
        "rack1-n[01-16]",
    ])
    func roundTrips(text: String) throws {
        let list = try Hostlist(parsing: text)
        let again = try Hostlist(parsing: list.description)
        #expect(again.hosts == list.hosts)
        #expect(again == list)
        #expect(Hostlist(list.hosts).description == list.description)
    }

    @Test func expandedHostsCompress() {
        let hosts = (0..<10_000).map { "node\($0)" } + ["login1", "login2"]
        let list = Hostlist(hosts)
        #expect(list.description == "node[0-9999],login[1-2]")
        #expect(list.runs.count == 2)
        #expect(list.hosts == hosts)
    }
}

@Suite struct HostlistAccessTests {
    @Test func nthAndFirstIndex() throws {
        let list = try Hostlist(parsing: "node[0-3,7],login1,node2")
        let hosts = ["node0", "node1", "node2", "node3", "node7", "login1", "node2"]
        for (i, host) in hosts.enumerated() {
            #expect(list.nth(i) == host)
            #expect(list[i] == host)
        }
        #expect(list.nth(7) == nil && list.nth(-1) == nil)
        #expect(list.firstIndex(of: "node2") == 2)
        #expect(list.firstIndex(of: "login1") == 5)
        #expect(list.firstIndex(of: "node7") == 4)
        #expect(list.firstIndex(of: "node4") == nil)
        #expect(list.firstIndex(of: "node02") == nil)
        #expect(list.firstIndex(of: "login") == nil)
        #expect(Array(list) == hosts)
    }

    @Test func firstIndexRespectsPadding() throws {
        let list = try Hostlist(parsing: "n[08-12]")
        #expect(list.firstIndex(of: "n08") == 0)
        #expect(list.firstIndex(of: "n10") == 2)
        #expect(list.firstIndex(of: "n8") == nil)
        #expect(list.firstIndex(of: "n010") == nil)
        #expect(list.firstIndex(of: "n") == nil)
    }

    @Test func widePaddingBeyondTenDigits() throws {
        let list = try Hostlist(parsing: "n[0000000000001-0000000000003]")
        #expect(list.nth(1) == "n0000000000002")
        #expect(list.firstIndex(of: "n0000000000003") == 2)
        #expect(list.firstIndex(of: "n3") == nil)
        #expect(Hostlist(list.hosts).description == "n[0000000000001-0000000000003]")
        #expect(list.sorted() == list)
        #expect(list.union(try Hostlist(parsing: "n3")).description == "n[0000000000001-0000000000002],n[3,0000000000003]")
    }

    @Test func millionHostsStayOneRun() throws {
        let list = try Hostlist(parsing: "n[0-999999]")
        #expect(list.runs.count == 1)
        #expect(list.count == 1_000_000)
        #expect(list.nth(999_999) == "n999999")
        #expect(list.firstIndex(of: "n500000") == 500_000)
        #expect(list.description == "n[0-999999]")
        let padded = try Hostlist(parsing: "n[000000-999999]")
        #expect(padded.nth(5) == "n000005" && padded.nth(123_456) == "n123456")
    }

    @Test func wholeNumberSpaceCountsWithoutExpanding() throws {
        let list = try Hostlist(parsing: "x[0-4294967295],y")
        #expect(list.count == (1 << 32) + 1)
        #expect(list.nth(4_294_967_295) == "x4294967295")
        #expect(list.nth(4_294_967_296) == "y")
        #expect(list.description == "x[0-4294967295],y")
        #expect(list.subtracting(try Hostlist(parsing: "x7")).description == "x[0-6,8-4294967295],y")
        #expect(list.union(list).count == list.count)
    }

    @Test func appendMergesAtTheSeam() throws {
        var list = try Hostlist(parsing: "n[1-3]")
        list.append(try Hostlist(parsing: "n[4-5],m"))
        #expect(list.description == "n[1-5],m")
        #expect(list.runs.count == 2)
        #expect(list.count == 6)
        list.append(Hostlist())
        #expect(list.count == 6)
    }

    @Test func equalityIgnoresSpelling() throws {
        let a = try Hostlist(parsing: "n[01-02]"), b = Hostlist(["n01", "n02"]), c = try Hostlist(parsing: "n0[1-2]")
        #expect(a == b && b == c && a == c)
        #expect(a.hashValue == c.hashValue)
        #expect(try Hostlist(parsing: "n[1-2]") != a)
        #expect(try Hostlist(parsing: "a,b") != Hostlist(parsing: "b,a"))
        #expect(try Hostlist(parsing: "foo[0-1]-eth2") == Hostlist(["foo0-eth2", "foo1-eth2"]))
        #expect(Hostlist() == Hostlist([]))
    }
}

@Suite struct HostlistSetAlgebraTests {
    @Test(arguments: [
        ("n[5,1-3],a2,a1", "a[1-2],n[1-3,5]"),
        ("rack10,rack2,rack1", "rack[1-2,10]"),
        ("n[1-5],n[3-7]", "n[1-3,3-4,4-5,5-7]"),
        ("login,n2,login,n1", "login,login,n[1-2]"),
        ("n01,n1,n2", "n[1,01,2]"),
        ("n[08-12],n[9-10]", "n08,n[9,09-10,10-12]"),
        ("foo[1-2]-eth1,foo[1-2]-eth0", "foo1-eth[0-1],foo2-eth[0-1]"),
        ("r2-n[1-2],r10-n1,r1-n5", "r1-n5,r2-n[1-2],r10-n1"),
        ("n[1-2].b,n[1-2].a", "n[1-2].a,n[1-2].b"),
        ("", ""),
    ])
    func sorts(text: String, sorted: String) throws {
        let list = try Hostlist(parsing: text).sorted()
        #expect(list.description == sorted)
        #expect(list.count == (try Hostlist(parsing: text)).count)
    }

    @Test(arguments: [
        ("b,a,b,c,a", "b,a,c"),
        ("n[1-5],n[3-7]", "n[1-7]"),
        ("n[5-7],n[1-6]", "n[5-7,1-4]"),
        ("n[1-3],n[01-03]", "n[1-3,01-03]"),
        ("n0[1-2],n[01-02],n03", "n[01-03]"),
        ("foo[0-4]-eth2,foo3-eth2", "foo[0-4]-eth2"),
        ("n[08-12],n[9-11]", "n[08-12],n9"),
    ])
    func deduplicates(text: String, deduplicated: String) throws {
        #expect(try Hostlist(parsing: text).deduplicated().description == deduplicated)
    }

    @Test(arguments: [
        ("n[1-3]", "n[2-5],a", "a,n[1-5]", "n[2-3]", "n1"),
        ("n[1-10],login", "n[5-15],login,x", "login,n[1-15],x", "login,n[5-10]", "n[1-4]"),
        ("n[1-10],n3", "n[3-4]", "n[1-10]", "n[3-4]", "n[1-2,5-10]"),
        ("b,a,b", "b", "a,b", "b", "a"),
        ("n[1-2]", "n[01-02]", "n[1,01,2,02]", "", "n[1-2]"),
        ("n0[1-2]", "n[01-02]", "n[01-02]", "n[01-02]", ""),
        ("foo[0-4]-eth2", "foo2-eth2", "foo[0-4]-eth2", "foo2-eth2", "foo[0-1,3-4]-eth2"),
        ("", "n1", "n1", "", ""),
    ])
    func algebra(a: String, b: String, union: String, intersection: String, difference: String) throws {
        let x = try Hostlist(parsing: a), y = try Hostlist(parsing: b)
        #expect(x.union(y).description == union)
        #expect(y.union(x).description == union)
        #expect(x.intersection(y).description == intersection)
        #expect(y.intersection(x).description == intersection)
        #expect(x.subtracting(y).description == difference)
    }

    @Test func hugeDifferenceStaysCompact() throws {
        let all = try Hostlist(parsing: "n[0-999999]")
        let rest = all.subtracting(try Hostlist(parsing: "n500000"))
        #expect(rest.description == "n[0-499999,500001-999999]")
        #expect(rest.count == 999_999)
        #expect(rest.union(try Hostlist(parsing: "n500000")) == all)
        #expect(all.intersection(try Hostlist(parsing: "n[999990-2000000]")).description == "n[999990-999999]")
        #expect(all.sorted() == all && all.deduplicated() == all)
    }
}

/// Random lists checked against plain string arrays: whatever the spelling, every
/// operation must agree with the obvious expanded computation.
@Suite struct HostlistAgreementTests {
    /// A small deterministic generator (linear congruential), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    static func randomHosts(seed: UInt64) -> [String] {
        var random = Generator(state: seed)
        let prefixes = ["n", "n0", "foo", "a1b", "", "rack2-n"], suffixes = ["", "", "-eth2", ".x"]
        var hosts: [String] = []
        while hosts.count < 40 {
            let prefix = prefixes[random.next(prefixes.count)], suffix = suffixes[random.next(suffixes.count)]
            let start = random.next(15), length = 1 + random.next(4), width = random.next(4)
            for n in start..<(start + length) {
                let digits = String(n)
                let padded = String(repeating: "0", count: Swift.max(0, width - digits.count)) + digits
                hosts.append(prefix + padded + suffix)
            }
            if random.next(8) == 0 { hosts.append(["login", "x", "y9z"][random.next(3)]) }
        }
        return hosts
    }

    @Test(arguments: 1...60)
    func agreesWithExpandedLists(seed: UInt64) throws {
        let a = Self.randomHosts(seed: seed), b = Self.randomHosts(seed: seed + 1000)
        let x = Hostlist(a), y = Hostlist(b)
        #expect(x.hosts == a)
        #expect(try Hostlist(parsing: x.description).hosts == a)
        #expect(try Hostlist(parsing: x.description) == x)
        for (i, host) in a.enumerated() {
            #expect(x.nth(i) == host)
            #expect(x.firstIndex(of: host) == a.firstIndex(of: host))
        }
        var seen = Set<String>()
        #expect(x.deduplicated().hosts == a.filter { seen.insert($0).inserted })
        let sorted = x.sorted().hosts
        #expect(sorted.sorted() == a.sorted())
        #expect(x.sorted().sorted().hosts == sorted)
        #expect(Hostlist(a.reversed()).sorted().hosts == sorted)
        let setA = Set(a), setB = Set(b)
        let union = x.union(y).hosts, common = x.intersection(y).hosts
        #expect(union.count == setA.union(setB).count && Set(union) == setA.union(setB))
        #expect(common.count == setA.intersection(setB).count && Set(common) == setA.intersection(setB))
        #expect(x.subtracting(y).hosts == a.filter { !setB.contains($0) })
        #expect(union == x.sorted().union(y.sorted()).hosts)
        #expect(Hostlist(union).sorted().hosts == union)
    }
}
