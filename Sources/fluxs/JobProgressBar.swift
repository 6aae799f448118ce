// The progress bar of `fluxs watch --progress`, after flux-core's JobProgressBar: the
// last line of a VT100 terminal, kept there by a scroll region that holds everything
// else, drawn on stdout as
//
//   PD:1   R:2   CD:5   F:0   │███████▌        │ 62.5% 0:00:12
//
// (pending, running, complete and failed jobs; the share of jobs done; the time since
// the earliest job was submitted, or with --jps the jobs per second since then). A job
// counts as done when nothing more will be printed for it.
import FluxsProcess
#if canImport(Glibc)
import Glibc
#endif

/// How far a set of jobs has come, drawn on the terminal's last line.
struct JobProgressBar {
    /// A job's place in the counts.
    enum Status { case pending, running, complete, failed }

    private(set) var pending = 0
    private(set) var running = 0
    private(set) var complete = 0
    private(set) var failed = 0
    private(set) var total = 0
    private(set) var done = 0
    /// The start of the elapsed time (and of --jps).
    var start: Double
    private let jps: Bool
    private var rate = 0.0
    private var size: (lines: Int, columns: Int)?
    private var drawing = false

    init(start: Double, jps: Bool) {
        self.start = start
        self.jps = jps
    }

    /// Counts one more job, in `status`.
    mutating func add(_ status: Status) {
        total += 1
        bump(status, 1)
    }

    /// Moves a job from one status to another.
    mutating func move(_ from: Status, _ to: Status) {
        bump(from, -1)
        bump(to, 1)
    }

    /// Counts a job as done (its output is all out), updating the jobs per second.
    mutating func advance(now: Double) {
        rate = Double(done + 1) / max(now - start, 1e-9)
        done += 1
    }

    private mutating func bump(_ status: Status, _ by: Int) {
        switch status {
        case .pending: pending += by
        case .running: running += by
        case .complete: complete += by
        case .failed: failed += by
        }
    }

    // MARK: - Drawing

    /// The bar's text for a terminal `width` columns wide.
    func text(width: Int, now: Double) -> String {
        func left(_ n: Int) -> String { let s = String(n); return s + String(repeating: " ", count: max(0, 3 - s.count)) }
        let before = "PD:\(left(pending)) R:\(left(running)) CD:\(left(complete)) F:\(left(failed)) "
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        let percent = Self.pad(TimeText.fixed(100 * fraction, 1), 5)
        let after = jps ? "\(percent)% \(Self.pad(TimeText.fixed(rate, 1), 4)) job/s"
            : "\(percent)% \(Self.elapsed(now - start))"
        let style = Array(" ▏▎▍▌▋▊▉█")
        let length = max(0, width - before.count - after.count - 2)
        var fill = Int(Double(length) * fraction)
        var filled = String(repeating: style[style.count - 1], count: fill)
        let part = Int(Double(length * style.count) * fraction) - fill * style.count
        if part > 0 {
            fill += 1
            filled.append(style[part])
        }
        return before + "│" + filled + String(repeating: style[0], count: max(0, length - fill)) + "│" + after
    }

    /// Python's str(timedelta(seconds=round(s))): "H:MM:SS", "N day(s), H:MM:SS".
    static func elapsed(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded(.toNearestOrEven))
        let days = total / 86400
        let h = total % 86400 / 3600, m = total % 3600 / 60, s = total % 60
        let clock = "\(h):" + (m < 10 ? "0" : "") + "\(m):" + (s < 10 ? "0" : "") + "\(s)"
        return days == 0 ? clock : "\(days) day\(days == 1 ? "" : "s"), \(clock)"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    private static func terminalSize() -> (lines: Int, columns: Int) {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0, ws.ws_col > 0 {
            return (Int(ws.ws_row), Int(ws.ws_col))
        }
        return (24, 80)
    }

    /// Starts drawing.
    mutating func begin(now: Double) {
        drawing = true
        redraw(now: now)
    }

    /// Draws the bar again on the last line, leaving the cursor where it was.
    mutating func redraw(now: Double) {
        guard drawing else { return }
        let current = Self.terminalSize()
        if size == nil || size! != current {
            size = current
            // Save the cursor, make room for the bar, and keep the scroll region above it.
            Descriptors.writeAll(1, "\u{1b}7\u{1b}[r\u{1b}8\u{1b}D\u{1b}M\u{1b}7\u{1b}[1;\(current.lines - 1)r\u{1b}8")
        }
        Descriptors.writeAll(1, "\u{1b}7\u{1b}[\(current.lines);1H\u{1b}[2K\u{1b}[?7l\u{1b}[0m"
            + text(width: current.columns, now: now) + "\u{1b}[?7h\u{1b}8")
    }

    /// Gives the terminal its whole screen back and prints the bar one last time.
    mutating func finish(now: Double) {
        guard drawing, let size else { return }
        drawing = false
        Descriptors.writeAll(1, "\u{1b}7\u{1b}[\(size.lines);1H\u{1b}[K\u{1b}[r\u{1b}8" + text(width: size.columns, now: now) + "\n")
    }
}
