// What the job commands (submit, jobs, cancel, job ...) share: job ids on the command
// line and on the wire, per-job failures that do not stop the others, user names, and
// the times people write (--begin-time, --since) and read (eventlog -H).
//
// Ids are accepted in any RFC 19 form and printed in f58 (Terminal.f58Form); on the
// wire they are JSON integers holding the 64-bit FLUID (bit pattern of an Int64).
import ArgumentParser
import FluxsClient
import FluxsFormats
import FluxsMessage
import FluxsProtocol
import FluxsSign
#if canImport(Glibc)
import Glibc
#endif

/// Job ids and per-job work.
enum Jobs {
    /// Reads one job id in any form; `job id "x": ...` when it is malformed.
    static func parse(_ text: String) throws(CommandFailure) -> JobID {
        do { return try JobID(parsing: text) } catch { throw CommandFailure(error.message) }
    }

    /// Reads every id before anything is done with them.
    static func parse(_ texts: [String]) throws(CommandFailure) -> [JobID] {
        var ids: [JobID] = []
        for text in texts { ids.append(try parse(text)) }
        return ids
    }

    /// The id as a request payload holds it.
    /// Submits a jobspec (job-manager.submit) and returns the new job's id.
    static func submit(_ handle: FluxsHandle, _ jobspec: Jobspec, urgency: Int?) throws(ServiceError) -> JobID {
        try submit(handle, [jobspec], urgency: urgency) { _ in }[0]
    }

    /// Submits jobspecs in order, up to 256 requests in flight at once; `each` gets every
    /// id as it comes, in order. The first refusal stops it. A guest (a user other than
    /// the instance owner) signs each jobspec with MUNGE (fluxs-security(7)).
    static func submit(_ handle: FluxsHandle, _ jobspecs: [Jobspec], urgency: Int?,
                       each: (JobID) -> Void) throws(ServiceError) -> [JobID] {
        try submit(handle, count: jobspecs.count, urgency: urgency, jobspec: { jobspecs[$0] }, each: each)
    }

    /// As above, with the jobspecs made one by one as they are sent (`jobspec(i)` for
    /// i in 0..<count), so that the first job is on its way before the last is made.
    static func submit(_ handle: FluxsHandle, count: Int, urgency: Int?, jobspec: (Int) throws(ServiceError) -> Jobspec,
                       each: (JobID) -> Void) throws(ServiceError) -> [JobID] {
        var tags: [UInt32] = []
        var ids: [JobID] = []
        var next = 0
        let guest = try handle.rpc(.broker.info)["owner"]?.intValue != Int64(getuid())
        while ids.count < count {
            while next < count && tags.count < 256 {
                var payload: [String: JSONValue] = [:]
                if guest {
                    let bytes = try jobspec(next).json.compactBytes
                    do { payload["J"] = .string(try MungeSigner.sign(bytes)) } catch {
                        throw ServiceError(EPERM, error.message)
                    }
                } else {
                    payload["jobspec"] = try jobspec(next).json
                }
                if let urgency { payload["urgency"] = .int(Int64(urgency)) }
                tags.append(try handle.sendRequest(.jobManager.submit, payload: JSONValue.object(payload).compactBytes))
                next += 1
            }
            let response = try handle.response(matchtag: tags.removeFirst())
            if response.errnum != 0 { throw ServiceError(response: response) }
            guard let id = JobID(wire: try FluxsHandle.decode(response)["id"]) else {
                throw ServiceError(EPROTO, "job-manager.submit: the response holds no job id")
            }
            ids.append(id)
            each(id)
        }
        return ids
    }

    /// The id as the CLI prints it.
    static func show(_ id: JobID) -> String { id.formatted(Terminal.f58Form) }

    /// Checks that the job manager knows the job (its ENOENT message when it does not)
    /// and returns the job's record.
    @discardableResult
    static func info(_ handle: FluxsHandle, _ id: JobID) throws(ServiceError) -> JSONValue {
        try handle.rpc(.jobManager.info, ["id": id.wire])
    }

    /// The name this invocation prints errors under (`fluxs-job`, `fluxs-cancel`).
    static var tool: String { Main.toolName(Array(CommandLine.arguments.dropFirst())) }

    /// A per-job failure message: the service's words, led by the id unless they name it.
    static func message(_ id: JobID, _ text: String) -> String {
        let named = [id.formatted(.f58), id.formatted(.f58plain), id.formatted(.dec)].contains { text.contains($0) }
        return named ? text : "\(show(id)): \(text)"
    }

    /// Runs `body` for each id on one handle; a service error for one job is printed
    /// (as `fluxs-CMD: error: ...`) and the next job is tried. Throws exit status 1 at
    /// the end when any job failed.
    static func each(_ ids: [JobID], _ body: (FluxsHandle, JobID) throws -> Void) throws {
        let handle = try Instance.connect()
        var failed = false
        for id in ids {
            do {
                try body(handle, id)
            } catch let error as ServiceError {
                if ids.count == 1 { throw CommandFailure(message(id, error.message)) }
                Main.printError(tool, message(id, error.message))
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }

    /// Runs `body` with a handle for work on one job; a service error becomes the
    /// CLI's failure line, naming the job.
    static func on<T>(_ id: JobID, _ body: (FluxsHandle) throws -> T) throws -> T {
        let handle = try Instance.connect()
        do {
            return try body(handle)
        } catch let error as ServiceError {
            throw CommandFailure(message(id, error.message))
        }
    }

    /// A user given by name or number; nil for "all".
    static func userid(_ text: String) throws(CommandFailure) -> Int64? {
        if text == "all" { return nil }
        if let uid = UInt32(text) { return Int64(uid) }
        guard let entry = getpwnam(text) else { throw CommandFailure("--user \"\(text)\": no such user") }
        return Int64(entry.pointee.pw_uid)
    }

    /// `--urgency` and `fluxs job urgency`: 0-31, or hold (0), default (16), expedite (31).
    static func urgency(_ text: String) -> Int? {
        switch text {
        case "hold": return 0
        case "default": return 16
        case "expedite": return 31
        default:
            guard let value = Int(text), (0...31).contains(value) else { return nil }
            return value
        }
    }
}

/// Times on the command line and in listings.
enum TimeText {
    /// The wall clock, in seconds since the Unix epoch.
    static func now() -> Double { KVS.wallClock() }

    /// A point in time: "now", "+DURATION" or "-DURATION" from now (Flux Standard
    /// Duration), "@SECONDS" since the epoch, "HH:MM[:SS]" today, or
    /// "YYYY-MM-DD[ HH:MM[:SS]]" (also with a "T"), in local time.
    static func parse(_ text: String, now: Double = now()) throws(ParseError) -> Double {
        let bad = ParseError("time \"\(text)\": not a time (+DURATION, @SECONDS, HH:MM[:SS] or YYYY-MM-DD[THH:MM[:SS]])")
        if text == "now" { return now }
        if let sign = text.first, sign == "+" || sign == "-" {
            let seconds: Double
            do { seconds = try FluxDuration.parse(text.dropFirst()) } catch { throw ParseError("time \"\(text)\": \(error.message)") }
            guard seconds.isFinite else { throw bad }
            return sign == "+" ? now + seconds : now - seconds
        }
        if text.hasPrefix("@") {
            guard let seconds = Double(text.dropFirst()), seconds.isFinite, seconds >= 0 else { throw bad }
            return seconds
        }
        // Dates and clock times, in local time.
        let parts = text.split(whereSeparator: { $0 == "T" || $0 == " " }).map(String.init)
        guard (1...2).contains(parts.count) else { throw bad }
        var tm = Glibc.tm()
        var clock = time_t(now)
        localtime_r(&clock, &tm)
        var clockPart: String? = parts.last
        if parts[0].contains("-") {
            let date = parts[0].split(separator: "-", omittingEmptySubsequences: false).map { Int32($0) }
            guard date.count == 3, let y = date[0], let m = date[1], let d = date[2],
                (1...12).contains(m), (1...31).contains(d) else { throw bad }
            tm.tm_year = y - 1900
            tm.tm_mon = m - 1
            tm.tm_mday = d
            tm.tm_hour = 0
            tm.tm_min = 0
            tm.tm_sec = 0
            clockPart = parts.count == 2 ? parts[1] : nil
        } else if parts.count != 1 {
            throw bad
        }
        if let clockPart {
            let fields = clockPart.split(separator: ":", omittingEmptySubsequences: false).map { Int32($0) }
            guard (2...3).contains(fields.count), let h = fields[0], let m = fields[1], (0...23).contains(h),
                (0...59).contains(m) else { throw bad }
            let s = fields.count == 3 ? fields[2] : 0
            guard let s, (0...60).contains(s) else { throw bad }
            tm.tm_hour = h
            tm.tm_min = m
            tm.tm_sec = s
        }
        tm.tm_isdst = -1
        let result = mktime(&tm)
        guard result != -1 else { throw bad }
        return Double(result)
    }

    /// A local time through strftime(3).
    static func format(_ seconds: Double, _ pattern: String) -> String {
        var clock = time_t(seconds)
        var tm = Glibc.tm()
        localtime_r(&clock, &tm)
        var buffer = [CChar](repeating: 0, count: 128)
        let n = strftime(&buffer, buffer.count, pattern, &tm)
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A number with `digits` decimals ("%.*f").
    static func fixed(_ value: Double, _ digits: Int = 6) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        _ = withVaList([Int32(digits), value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Signals by name or number, for `fluxs job kill -s`.
enum SignalName {
    static let table: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
        "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV, "USR2": SIGUSR2,
        "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP,
        "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU, "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ,
        "VTALRM": SIGVTALRM, "PROF": SIGPROF, "WINCH": SIGWINCH, "IO": SIGIO, "SYS": SIGSYS,
    ]

    /// The number of "TERM", "SIGTERM" or "15" (1-64), nil when unknown.
    static func parse(_ text: String) -> Int32? {
        if let number = Int32(text) { return (1...64).contains(number) ? number : nil }
        let name = text.uppercased()
        return table[name.hasPrefix("SIG") ? String(name.dropFirst(3)) : name]
    }
}
