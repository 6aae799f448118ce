// A Standard Workload Format trace read from text: header comments and job lines.
// Lines are split on spaces and tabs; a line whose first non-blank byte is ';' is a comment,
// and a comment of the form "; Key: value" (MaxProcs, MaxNodes, UnixStartTime, ...) is kept
// as a header field. Every job line has exactly 18 numeric fields; -1 means unknown. The job
// number and submit time must be known. Parsing works on UTF-8 bytes without making a
// String per field.
import FluxsMessage
#if canImport(Glibc)
import Glibc
#endif

/// A parsed SWF trace.
public struct SWFTrace: Sendable, Hashable {
    /// Header fields from "; Key: value" comments, e.g. "MaxProcs" -> "1024".
    public var header: [String: String] = [:]
    /// The job lines in trace order.
    public var jobs: [SWFJob] = []

    /// Parses a trace; at most `limit` jobs are kept. A malformed line throws EINVAL naming
    /// the line and the field, e.g. `swf line 7: expected 18 fields, found 12`.
    public init(parsing text: String, limit: Int = .max) throws(ServiceError) {
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if jobs.count >= limit { break }
            let fields = line.split(whereSeparator: Self.isBlank)
            guard let first = fields.first else { continue }
            if first.first == UInt8(ascii: ";") {
                readHeader(line)
                continue
            }
            jobs.append(try Self.job(fields, line: lineNumber))
        }
    }

    /// The processors of the machine from the MaxProcs (or MaxNodes) header, if given.
    public var maxProcessors: Int? {
        (header["MaxProcs"] ?? header["MaxNodes"]).flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
    }

    /// Keeps "; Key: value" as a header field.
    private mutating func readHeader(_ line: Substring.UTF8View.SubSequence) {
        let text = String(decoding: line, as: UTF8.self).drop { $0 == " " || $0 == "\t" }.dropFirst()
        guard let colon = text.firstIndex(of: ":") else { return }
        let key = text[..<colon].trimmingBlanks(), value = text[text.index(after: colon)...].trimmingBlanks()
        if !key.isEmpty && !key.contains(" ") { header[key] = value }
    }

    /// The job of one data line.
    private static func job(_ fields: [Substring.UTF8View.SubSequence], line: Int) throws(ServiceError) -> SWFJob {
        guard fields.count == 18 else {
            throw ServiceError(EINVAL, "swf line \(line): expected 18 fields, found \(fields.count)")
        }
        var values = [Double?](repeating: nil, count: 18)
        for (index, field) in fields.enumerated() {
            guard let value = number(field) else {
                throw ServiceError(EINVAL, "swf line \(line): \(SWFJob.fieldNames[index]) \"\(String(decoding: field, as: UTF8.self))\" is not a number")
            }
            values[index] = value == -1 ? nil : value
        }
        guard let number = values[0].flatMap(Int.init(exactly:)), number >= 0 else {
            throw ServiceError(EINVAL, "swf line \(line): the job number must be a whole number >= 0")
        }
        guard let submit = values[1], submit >= 0 else {
            throw ServiceError(EINVAL, "swf line \(line): the submit time must be known and >= 0")
        }
        let whole = { (i: Int) in values[i].flatMap { Int(exactly: $0.rounded()) } }
        var job = SWFJob(number: number, submitTime: submit)
        job.waitTime = values[2]
        job.runTime = values[3]
        job.allocatedProcessors = whole(4)
        job.averageCPUTime = values[5]
        job.usedMemory = values[6]
        job.requestedProcessors = whole(7)
        job.requestedTime = values[8]
        job.requestedMemory = values[9]
        job.status = whole(10)
        job.userID = whole(11)
        job.groupID = whole(12)
        job.executable = whole(13)
        job.queue = whole(14)
        job.partition = whole(15)
        job.precedingJob = whole(16)
        job.thinkTime = values[17]
        return job
    }

    /// A decimal number: optional '-', digits, optional '.' and digits; nil otherwise.
    private static func number(_ field: Substring.UTF8View.SubSequence) -> Double? {
        var bytes = field[...]
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        var whole = 0.0, fraction = 0.0, scale = 1.0, digits = 0, inFraction = false
        for byte in bytes {
            if byte == UInt8(ascii: "."), !inFraction {
                inFraction = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                let digit = Double(byte - UInt8(ascii: "0"))
                if inFraction {
                    scale /= 10
                    fraction += digit * scale
                } else {
                    whole = whole * 10 + digit
                }
            } else {
                return nil
            }
        }
        guard digits > 0 else { return nil }
        return negative ? -(whole + fraction) : whole + fraction
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
