// A job's constraint on the nodes it may get (RFC 31, `attributes.system.constraints`),
// read from and written back to its JSON object. The operators are those flux-core's
// matcher knows (librlist match.c): `properties` (all of them; "^name" for must-not-have),
// `hostlist` (a node whose name is in one of the hostlists), `ranks` (a node whose rank is
// in one of the idsets), and `and`, `or`, `not` over constraint objects (`not` is the
// negation of the `and` of its operands). `{}` matches every node. An object has at most
// one operator; anything else is refused with flux-core's wording.

/// An RFC 31 constraint object.
public indirect enum JobConstraint: Sendable, Hashable {
    /// `{}`: every node.
    case any
    /// Every name a property of the node ("^name": not).
    case properties([String])
    /// The node's name in the hostlist.
    case hostlist(Hostlist)
    /// The node's rank in the idset.
    case ranks(IDSet)
    /// Every operand matches.
    case and([JobConstraint])
    /// Some operand matches (an empty list matches every node, as in flux-core).
    case or([JobConstraint])
    /// Not every operand matches.
    case not([JobConstraint])

    /// Reads an RFC 31 constraint object. Throws e.g. "unknown constraint operator: foo".
    public init(json: JSONValue) throws(ParseError) {
        guard case .object(let members) = json else { throw ParseError("constraint must be JSON object") }
        guard members.count <= 1 else { throw ParseError("constraint must only contain 1 element") }
        guard let (op, values) = members.first else {
            self = .any
            return
        }
        switch op {
        case "properties":
            guard case .array(let items) = values else { throw ParseError("properties value must be an array") }
            var names: [String] = []
            for item in items {
                guard case .string(let name) = item else { throw ParseError("non-string property specified") }
                if let bad = name.first(where: { "!&'\"`|()".contains($0) }) {
                    throw ParseError("invalid character '\(bad)' in property \"\(name)\"")
                }
                names.append(name)
            }
            self = .properties(names)
        case "hostlist":
            var hosts = Hostlist()
            for item in try Self.strings(values, op) {
                do { hosts.append(try Hostlist(parsing: item)) } catch {
                    throw ParseError("invalid hostlist '\(item)' in \(values.compactText)")
                }
            }
            self = .hostlist(hosts)
        case "ranks":
            var ranks = IDSet()
            for item in try Self.strings(values, op) {
                do { ranks = ranks.union(try IDSet(parsing: item)) } catch {
                    throw ParseError("invalid idset '\(item)' in \(values.compactText)")
                }
            }
            self = .ranks(ranks)
        case "and", "or", "not":
            guard case .array(let items) = values else { throw ParseError("\(op) operator value must be an array") }
            var operands: [JobConstraint] = []
            for item in items { operands.append(try JobConstraint(json: item)) }
            self = op == "and" ? .and(operands) : op == "or" ? .or(operands) : .not(operands)
        default:
            throw ParseError("unknown constraint operator: \(op)")
        }
    }

    /// The RFC 31 JSON object.
    public var json: JSONValue {
        switch self {
        case .any: [:]
        case .properties(let names): ["properties": .array(names.map { .string($0) })]
        case .hostlist(let hosts): ["hostlist": [.string(hosts.description)]]
        case .ranks(let ranks): ["ranks": [.string(ranks.description)]]
        case .and(let items): ["and": .array(items.map(\.json))]
        case .or(let items): ["or": .array(items.map(\.json))]
        case .not(let items): ["not": .array(items.map(\.json))]
        }
    }

    /// The property names when the constraint is only properties joined by `and` (the
    /// common case, with its own messages), else nil.
    public var conjunctiveProperties: [String]? {
        switch self {
        case .any: return []
        case .properties(let names): return names
        case .and(let items):
            var names: [String] = []
            for item in items {
                guard let more = item.conjunctiveProperties else { return nil }
                names += more
            }
            return names
        default: return nil
        }
    }

    /// The strings of an array of strings (hostlists or idsets).
    private static func strings(_ values: JSONValue, _ op: String) throws(ParseError) -> [String] {
        guard case .array(let items) = values else { throw ParseError("\(op) value must be an array") }
        var out: [String] = []
        for item in items {
            guard case .string(let text) = item else {
                throw ParseError("invalid \(op == "ranks" ? "idset" : "hostlist") '\(item.compactText)' in \(values.compactText)")
            }
            out.append(text)
        }
        return out
    }
}
