// Version 1 task rules (RFC 25 "Tasks", definitions from RFC 14): exactly one task;
// `command` a non-empty array of strings (as flux-core's ingest requires, a single
// string is refused); `slot` the label of the slot; `count` holds exactly one of
// `per_slot` or `total` (no `per_resource` in version 1), each a positive integer.
// The optional RFC 14 task keys `attributes` (object) and `distribution` (string) are
// accepted.

extension JobspecValidator {
    /// The keys a task may have.
    static let taskKeys = ["command", "slot", "count", "attributes", "distribution"]
    /// The keys a task count may have (`per_resource` gets its own rule).
    static let taskCountKeys = ["per_slot", "total", "per_resource"]

    /// Checks the `tasks` array. `slotLabel` and `nslots` come from the resources, when
    /// known, to check the slot name and the task total.
    mutating func checkTasks(_ value: JSONValue, slotLabel: String?, nslots: Int?) -> JobspecTask? {
        checkSingleElementArray(value, what: "task") { $0.checkTask($1, slotLabel: slotLabel, nslots: nslots) }
    }

    private mutating func checkTask(_ value: JSONValue, slotLabel: String?, nslots: Int?) -> JobspecTask? {
        guard case .object(let task) = value else {
            report("must be an object")
            return nil
        }
        let command = at("command") { $0.checkCommand(task["command"]) }
        let slot = at("slot") { $0.checkSlotName(task["slot"], slotLabel: slotLabel) }
        let count = at("count") { $0.checkTaskCount(task["count"], nslots: nslots) }
        checkOptionalObject(task, "attributes")
        checkOptionalString(task, "distribution")
        reportUnknownKeys(task, known: Self.taskKeys)
        guard let command, let slot, let count else { return nil }
        return JobspecTask(command: command, slot: slot, count: count)
    }

    private mutating func checkCommand(_ value: JSONValue?) -> [String]? {
        switch value {
        case nil:
            report("is required")
        case .string?:
            report("must be an array of strings, not a single string")
        case .array(let items)?:
            if items.isEmpty {
                report("must not be empty")
                return nil
            }
            var command: [String] = []
            command.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                if case .string(let arg) = item {
                    command.append(arg)
                } else {
                    at(i) { $0.report("must be a string") }
                }
            }
            return command.count == items.count ? command : nil
        default:
            report("must be an array of strings")
        }
        return nil
    }

    private mutating func checkSlotName(_ value: JSONValue?, slotLabel: String?) -> String? {
        guard let value else {
            report("is required")
            return nil
        }
        guard case .string(let name) = value else {
            report("must be a string")
            return nil
        }
        if let slotLabel, name != slotLabel {
            report("must be the slot label \"\(slotLabel)\", not \"\(name)\"")
        }
        return name
    }

    private mutating func checkTaskCount(_ value: JSONValue?, nslots: Int?) -> JobspecTask.Count? {
        guard let value else {
            report("is required")
            return nil
        }
        guard case .object(let count) = value else {
            report("must be an object")
            return nil
        }
        let perSlot = count["per_slot"].flatMap { v in at("per_slot") { $0.positiveCount(v) } }
        let total = count["total"].flatMap { v in at("total") { $0.positiveCount(v) } }
        if count["per_resource"] != nil {
            report("is not allowed in version 1 (use per_slot or total)", at: "per_resource")
        }
        reportUnknownKeys(count, known: Self.taskCountKeys)
        guard (count["per_slot"] == nil) != (count["total"] == nil) else {
            report("must have exactly one of per_slot or total")
            return nil
        }
        if let total { return .total(total) }
        guard let perSlot else { return nil }
        if let nslots {
            let (ntasks, overflow) = perSlot.multipliedReportingOverflow(by: nslots)
            if overflow || ntasks > Self.maxCount { report("asks for more than \(Self.maxCount) tasks in all") }
        }
        return .perSlot(perSlot)
    }
}
