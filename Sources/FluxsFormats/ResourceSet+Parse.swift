// Reading R version 1 (RFC 20) from JSON, with validation. Every error names the member at
// fault as a path from the document root, e.g. `R: execution.R_lite[1].rank: ...`.
// Decisions where RFC 20 leaves room:
// - `execution` with `R_lite` is required (flux-core does the same; a scheduling-only R is refused).
// - `children` keys other than `core` and `gpu` are refused: RFC 20 reserves them, so an R that
//   uses them is not version 1 as we know it. A missing `core` means no cores (flux-core emits
//   that for a rank left with gpus only).
// - A rank named by two R_lite entries is an error, not a merge.
// - Other members of the document and of `execution` are reserved extensions and are ignored.
// - The nodelist names hosts for the ranks in ascending rank order, and must name exactly one
//   host per rank.
// - At most `maximumNodeCount` ranks, so that a typo such as "0-4294967294" fails at once
//   instead of exhausting memory.

extension ResourceSet {
    /// The largest number of ranks an R may name; more is refused rather than expanded.
    public static let maximumNodeCount = 1 << 20

    /// Characters that RFC 20 forbids in property names.
    public static let forbiddenPropertyCharacters: Set<Character> = ["!", "&", "'", "\"", "^", "`", "|", "(", ")"]

    /// Parses R from JSON text. Throws `ParseError` naming the member at fault.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: text)
        } catch {
            throw ParseError("R: \(error.message)")
        }
        try self.init(json: json)
    }

    /// Reads R from a JSON value. Throws `ParseError` naming the member at fault.
    public init(json: JSONValue) throws(ParseError) {
        guard case .object(let document) = json else {
            throw Self.invalid("", "must be an object, not \(json.kindName)")
        }
        try Self.checkVersion(document["version"])
        guard let executionValue = document["execution"] else { throw Self.invalid("execution", "required") }
        guard case .object(let execution) = executionValue else {
            throw Self.invalid("execution", "must be an object, not \(executionValue.kindName)")
        }
        var set = try Self.parseRLite(execution["R_lite"])
        if let nodelist = execution["nodelist"] { try set.assignHostnames(nodelist) }
        if let properties = execution["properties"] { try set.assignProperties(properties) }
        set.scheduling = document["scheduling"]
        set.starttime = try Self.time(execution["starttime"], "starttime")
        set.expiration = try Self.time(execution["expiration"], "expiration")
        if set.starttime > 0, set.expiration > 0, set.expiration <= set.starttime {
            throw Self.invalid("execution.expiration", "\(set.expiration) is not after starttime \(set.starttime)")
        }
        set.nslots = try Self.nslots(execution["nslots"])
        self = set
    }
}

// MARK: - Members

extension ResourceSet {
    /// An error at `path` (empty for the document itself).
    private static func invalid(_ path: String, _ problem: String) -> ParseError {
        ParseError(path.isEmpty ? "R: \(problem)" : "R: \(path): \(problem)")
    }

    private static func checkVersion(_ value: JSONValue?) throws(ParseError) {
        guard let value else { throw invalid("version", "required") }
        guard value.intValue == 1 else { throw invalid("version", "must be 1, not \(value.compactText)") }
    }

    /// The idset in the string `value`, with idset errors nested under `path`.
    private static func idset(_ value: JSONValue, at path: String) throws(ParseError) -> IDSet {
        guard case .string(let text) = value else {
            throw invalid(path, "must be an idset string, not \(value.kindName)")
        }
        do {
            return try IDSet(parsing: text)
        } catch {
            throw invalid(path, error.message)
        }
    }

    /// The nodes of `R_lite` in rank order, without hostnames or properties.
    private static func parseRLite(_ value: JSONValue?) throws(ParseError) -> ResourceSet {
        guard let value else { throw invalid("execution.R_lite", "required") }
        guard case .array(let entries) = value else {
            throw invalid("execution.R_lite", "must be an array, not \(value.kindName)")
        }
        var set = ResourceSet()
        var ascending = true
        for (index, entry) in entries.enumerated() {
            let (ranks, share) = try parseEntry(entry, at: "execution.R_lite[\(index)]")
            guard set.nnodes + ranks.count <= maximumNodeCount else {
                throw invalid("execution.R_lite[\(index)].rank", "more than \(maximumNodeCount) ranks in all")
            }
            if let last = set.nodeRanks.last, let first = ranks.first, first <= last { ascending = false }
            let shareIndex = set.palette.intern(share)
            for range in ranks.ranges {
                set.nodeRanks.append(contentsOf: range)
                set.nodeShares.append(contentsOf: repeatElement(shareIndex, count: range.count))
            }
        }
        set.nodeHostnames = Array(repeating: nil, count: set.nodeRanks.count)
        if !ascending {
            let order = set.nodeRanks.indices.sorted { set.nodeRanks[$0] < set.nodeRanks[$1] }
            set.nodeRanks = order.map { set.nodeRanks[$0] }
            set.nodeShares = order.map { set.nodeShares[$0] }
            if let repeated = zip(set.nodeRanks, set.nodeRanks.dropFirst()).first(where: { $0 == $1 }) {
                throw repeatedRank(repeated.0, in: entries)
            }
        }
        return set
    }

    /// The ranks of one `R_lite` entry and the share it gives each of them.
    private static func parseEntry(_ entry: JSONValue, at path: String) throws(ParseError) -> (IDSet, Share) {
        guard case .object(let members) = entry else { throw invalid(path, "must be an object, not \(entry.kindName)") }
        guard let rankValue = members["rank"] else { throw invalid("\(path).rank", "required") }
        let ranks = try idset(rankValue, at: "\(path).rank")
        if ranks.isEmpty { throw invalid("\(path).rank", "names no ranks") }
        guard let childrenValue = members["children"] else { throw invalid("\(path).children", "required") }
        guard case .object(let children) = childrenValue else {
            throw invalid("\(path).children", "must be an object, not \(childrenValue.kindName)")
        }
        if let unknown = children.keys.filter({ $0 != "core" && $0 != "gpu" }).min() {
            throw invalid("\(path).children", "unknown resource type \"\(unknown)\" (RFC 20 defines core and gpu)")
        }
        let cores = try children["core"].map { v throws(ParseError) in try idset(v, at: "\(path).children.core") }
        let gpus = try children["gpu"].map { v throws(ParseError) in try idset(v, at: "\(path).children.gpu") }
        return (ranks, Share(cores: cores ?? IDSet(), gpus: gpus ?? IDSet()))
    }

    /// The error for `rank` named by two entries, naming both (only called after they parsed).
    private static func repeatedRank(_ rank: UInt32, in entries: [JSONValue]) -> ParseError {
        let holders = entries.indices.filter { index in
            guard let text = entries[index]["rank"]?.stringValue, let ranks = try? IDSet(parsing: text) else {
                return false
            }
            return ranks.contains(rank)
        }
        let first = holders.first ?? 0, second = holders.dropFirst().first ?? first
        return invalid("execution.R_lite[\(second)].rank", "rank \(rank) is also in execution.R_lite[\(first)]")
    }

    /// Gives each node, in rank order, its host from the nodelist (an array of hostlists).
    private mutating func assignHostnames(_ value: JSONValue) throws(ParseError) {
        guard case .array(let items) = value else {
            throw Self.invalid("execution.nodelist", "must be an array of hostlist strings, not \(value.kindName)")
        }
        var lists: [Hostlist] = []
        var total = 0
        for (index, item) in items.enumerated() {
            let path = "execution.nodelist[\(index)]"
            guard case .string(let text) = item else { throw Self.invalid(path, "must be a string, not \(item.kindName)") }
            if text.isEmpty { continue }  // flux-core writes [""] for an empty set
            do {
                let list = try Hostlist(parsing: text)
                total += list.count
                lists.append(list)
            } catch {
                throw Self.invalid(path, error.message)
            }
        }
        // Counted before expanding, so that a huge range fails without being spelled out.
        guard total == nnodes else {
            throw Self.invalid("execution.nodelist", "names \(total) hosts for \(nnodes) ranks")
        }
        var hostnames: [String?] = []
        hostnames.reserveCapacity(total)
        for list in lists {
            for host in list { hostnames.append(host) }
        }
        nodeHostnames = hostnames
    }

    /// Attaches each property of `execution.properties` to the ranks it names.
    private mutating func assignProperties(_ value: JSONValue) throws(ParseError) {
        guard case .object(let properties) = value else {
            throw Self.invalid("execution.properties", "must be an object, not \(value.kindName)")
        }
        let known = ranks
        for name in properties.keys.sorted() {
            if let bad = name.first(where: Self.forbiddenPropertyCharacters.contains) {
                throw Self.invalid("execution.properties", "property name \"\(name)\" contains forbidden character '\(bad)'")
            }
            let path = "execution.properties.\(name)"
            let targets = try Self.idset(properties[name]!, at: path)
            let unknown = targets.subtracting(known)
            if !unknown.isEmpty {
                throw Self.invalid(path, "\(unknown.count == 1 ? "rank" : "ranks") \(unknown) not in R_lite")
            }
            if !targets.isEmpty { propertyRanks[name] = targets }
        }
    }

    /// `starttime` or `expiration`: seconds since the epoch, 0 when absent.
    private static func time(_ value: JSONValue?, _ key: String) throws(ParseError) -> Double {
        guard let value else { return 0 }
        guard let seconds = value.doubleValue else {
            throw invalid("execution.\(key)", "must be a number, not \(value.kindName)")
        }
        guard seconds >= 0 else { throw invalid("execution.\(key)", "must not be negative, not \(value.compactText)") }
        return seconds
    }

    private static func nslots(_ value: JSONValue?) throws(ParseError) -> Int? {
        guard let value else { return nil }
        guard let count = value.intValue, count >= 0 else {
            throw invalid("execution.nslots", "must be a non-negative integer, not \(value.compactText)")
        }
        return Int(count)
    }
}
