// The engine behind `Jobspec.validate`: walks a JSON document against the version 1
// jobspec rules (RFC 25, with the RFC 14 definitions it refers to) and records every
// problem with the path where it was found. The walk never stops early, so one pass
// reports everything. Paths are kept as a stack of steps and only turned into text
// when a problem is recorded, so a valid document costs no string building.
// Problems come out in document order: the order of their paths in the canonical JSON
// encoding (object keys sorted, array elements by index), parents before children.

/// Collects the problems of one document (or one section of it).
struct JobspecValidator {
    /// One step of a path: an object key or an array index.
    enum Step: Comparable {
        case index(Int)
        case key(String)
    }

    /// The largest count version 1 accepts: counts are C `int`s in Flux.
    static let maxCount: Int64 = Int64(Int32.max)

    private var path: [Step] = []
    private var found: [(path: [Step], rule: String)] = []

    /// True when at least one problem was recorded.
    var hasProblems: Bool { !found.isEmpty }

    /// The problems in document order.
    var problems: [JobspecProblem] {
        found.enumerated()
            .sorted { a, b in
                a.element.path == b.element.path
                    ? a.offset < b.offset : a.element.path.lexicographicallyPrecedes(b.element.path)
            }
            .map { JobspecProblem(path: Self.render($0.element.path), rule: $0.element.rule) }
    }

    /// Records a problem at the current path.
    mutating func report(_ rule: String) {
        found.append((path, rule))
    }

    /// Records a problem at member `key` of the current path.
    mutating func report(_ rule: String, at key: String) {
        found.append((path + [.key(key)], rule))
    }

    /// Runs `body` with the path extended by member `key`.
    mutating func at<R>(_ key: String, _ body: (inout JobspecValidator) -> R) -> R {
        path.append(.key(key))
        defer { path.removeLast() }
        return body(&self)
    }

    /// Runs `body` with the path extended by element `index`.
    mutating func at<R>(_ index: Int, _ body: (inout JobspecValidator) -> R) -> R {
        path.append(.index(index))
        defer { path.removeLast() }
        return body(&self)
    }

    /// `resources[0].with[0].count`; `jobspec` for the empty path.
    static func render(_ steps: [Step]) -> String {
        if steps.isEmpty { return "jobspec" }
        var text = ""
        for step in steps {
            switch step {
            case .index(let i): text += "[\(i)]"
            case .key(let k): text += text.isEmpty ? k : "." + k
            }
        }
        return text
    }
}

// MARK: - Shared checks

extension JobspecValidator {
    /// The rule for keys a version 1 object does not define.
    static let unknownKeyRule = "is not allowed in jobspec version 1"

    /// Checks an array that version 1 allows exactly one element in: every element is
    /// checked (so all problems are found); the first one's result is returned.
    mutating func checkSingleElementArray<T>(
        _ value: JSONValue, what: String, _ check: (inout JobspecValidator, JSONValue) -> T?
    ) -> T? {
        guard case .array(let list) = value else {
            report("must be an array")
            return nil
        }
        if list.count != 1 { report("must hold exactly one \(what) in version 1") }
        var first: T?
        for (i, element) in list.enumerated() {
            let result = at(i) { check(&$0, element) }
            if i == 0 { first = result }
        }
        return first
    }

    /// Reports every key of `object` that is not in `known`.
    mutating func reportUnknownKeys(
        _ object: [String: JSONValue], known: [String], rule: String = unknownKeyRule
    ) {
        for key in object.keys where !known.contains(key) {
            report(rule, at: key)
        }
    }

    /// A count in 1...2147483647, or nil after reporting why not.
    mutating func positiveCount(_ value: JSONValue, minimum: Int64 = 1) -> Int? {
        let rule = minimum == 0 ? "must be an integer, 0 or more" : "must be a positive integer"
        guard case .int(let n) = value, n >= minimum else {
            report(rule)
            return nil
        }
        if n > Self.maxCount {
            report("must be at most \(Self.maxCount)")
            return nil
        }
        return Int(n)
    }

    /// Reports member `key` of `object` when present and not a string.
    mutating func checkOptionalString(_ object: [String: JSONValue], _ key: String) {
        if let value = object[key], value.stringValue == nil { report("must be a string", at: key) }
    }

    /// Reports member `key` of `object` when present and not an object.
    mutating func checkOptionalObject(_ object: [String: JSONValue], _ key: String) {
        if let value = object[key], value.objectValue == nil { report("must be an object", at: key) }
    }
}

// MARK: - The whole document

extension JobspecValidator {
    /// The top-level keys of a jobspec.
    static let topLevelKeys = ["version", "resources", "tasks", "attributes"]

    /// Checks a whole jobspec and returns its typed parts (meaningful only when no
    /// problem was recorded).
    mutating func checkDocument(_ json: JSONValue) -> (resource: JobspecResource?, task: JobspecTask?) {
        guard case .object(let top) = json else {
            report("must be an object")
            return (nil, nil)
        }
        switch top["version"] {
        case nil: report("is required", at: "version")
        case .int(1)?: break
        default: report("must be 1 (only jobspec version 1 is supported)", at: "version")
        }
        var resource: JobspecResource?
        if let resources = top["resources"] {
            resource = at("resources") { $0.checkResources(resources) }
        } else {
            report("is required", at: "resources")
        }
        var task: JobspecTask?
        if let tasks = top["tasks"] {
            let slotLabel = resource?.slotVertex?.label
            let nslots = resource?.totalSlots
            task = at("tasks") { $0.checkTasks(tasks, slotLabel: slotLabel, nslots: nslots) }
        } else {
            report("is required", at: "tasks")
        }
        if let attributes = top["attributes"] {
            at("attributes") { $0.checkAttributes(attributes) }
        } else {
            report("is required", at: "attributes")
        }
        reportUnknownKeys(top, known: Self.topLevelKeys)
        return (resource, task)
    }
}
