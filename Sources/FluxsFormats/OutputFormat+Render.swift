// Rendering an `OutputFormat`: value -> conversion -> text -> h -> precision (with the
// "+" marker) -> fill and alignment to width; then `?:` columns blank in every row are
// dropped, `+:` columns widened to their widest value (and heading), and each line
// loses its trailing spaces.
#if canImport(Glibc)
import Glibc
#endif

extension OutputFormat {
    /// The header line and one line per row. `value(row, name)` gives a field's value;
    /// `heading(name)` its column title (by default the name upper-cased).
    public func render<Row>(_ rows: [Row], header: Bool = true, heading: (String) -> String = { $0.uppercased() },
                            value: (Row, String) -> FieldValue) -> [String] {
        let keep = widened(keptPieces(rows, value: value), rows, header: header, heading: heading, value: value)
        var lines: [String] = []
        if header {
            lines.append(line(keep) { name, _, _, spec in
                var plain = Spec()
                (plain.fill, plain.align, plain.width, plain.precision) = (spec.fill, spec.align, spec.width, spec.precision)
                return Self.apply(plain, to: .text(heading(name)))
            })
        }
        for row in rows {
            lines.append(line(keep) { name, conversion, strftime, spec in
                Self.apply(spec, to: Self.convert(value(row, name), conversion, strftime))
            })
        }
        return lines
    }

    /// The header line and one line per row of named values (a missing field is `.none`);
    /// a field's heading is `headings[name]`, else its name upper-cased.
    public func render(_ rows: [[String: FieldValue]], header: Bool = true,
                       headings: [String: String] = [:]) -> [String] {
        render(rows, header: header, heading: { headings[$0] ?? $0.uppercased() }) { $0[$1] ?? .none }
    }

    /// One line from the kept pieces.
    private func line(_ kept: [Piece], _ field: (String, Character?, String?, Spec) -> String) -> String {
        var text = ""
        for piece in kept {
            switch piece {
            case .text(let literal): text += literal
            case .field(let name, let conversion, let strftime, let spec, _, _):
                text += field(name, conversion, strftime, spec)
            }
        }
        while text.last == " " { text.removeLast() }
        return text
    }

    /// The pieces left once blank `?:` columns (and one space after each) are gone.
    private func keptPieces<Row>(_ rows: [Row], value: (Row, String) -> FieldValue) -> [Piece] {
        var kept: [Piece] = []
        var dropSpace = false
        for piece in pieces {
            switch piece {
            case .field(let name, let conversion, let strftime, _, true, _)
            where rows.allSatisfy({ Self.convert(value($0, name), conversion, strftime).isBlank }):
                dropSpace = true
                continue
            case .text(let literal) where dropSpace && literal.first == " ":
                let rest = String(literal.dropFirst())
                if !rest.isEmpty { kept.append(.text(rest)) }
            default:
                kept.append(piece)
            }
            dropSpace = false
        }
        return kept
    }

    /// `pieces` with each `+:` field's width raised to its widest value in `rows` (as
    /// converted, without its spec; blank values count as empty) and, with a header, to
    /// its heading's length.
    private func widened<Row>(_ pieces: [Piece], _ rows: [Row], header: Bool, heading: (String) -> String,
                              value: (Row, String) -> FieldValue) -> [Piece] {
        pieces.map { piece in
            guard case .field(let name, let conversion, let strftime, var spec, let drop, true) = piece else { return piece }
            var widest = max(spec.width ?? 0, header ? heading(name).count : 0)
            for row in rows {
                let converted = Self.convert(value(row, name), conversion, strftime)
                if !converted.isBlank { widest = max(widest, Self.apply(Spec(), to: converted).count) }
            }
            spec.width = widest
            return .field(name: name, conversion: conversion, strftime: strftime, spec: spec, dropIfBlank: drop, expand: true)
        }
    }

    /// Applies a conversion (F, H, D, d, P) to a value.
    static func convert(_ value: FieldValue, _ conversion: Character?, _ strftime: String?) -> FieldValue {
        guard let conversion else { return value }
        let number: Double? = switch value {
        case .int(let i): Double(i)
        case .real(let d): d
        default: nil
        }
        guard let number else { return .text("") }
        // Clock times and H:M:S only for numbers a clock can hold (a job may ask for a
        // duration of 1e300 s; rendering runs in the job manager and must not trap).
        if conversion != "F", conversion != "P", !number.isFinite || abs(number) > 1.0e15 {
            return .text(number > 0 ? fsd(number) : "-")
        }
        switch conversion {
        case "F": return .text(fsd(number))
        case "H":
            let total = Int(number.rounded())
            return .text(String(format2: total / 3600, (total / 60) % 60, total % 60))
        case "D": return .text(number > 0 ? localTime(number, "%Y-%m-%dT%H:%M:%S") : "")
        case "P":
            let percent = number * 100
            return .text((percent > 0 && percent < 1 ? fixed(percent, 2) : printf("%.3g", percent)) + "%")
        default: return .text(localTime(number, strftime ?? "%Y-%m-%d %H:%M:%S"))
        }
    }

    /// `seconds` through strftime(3) in local time.
    static func localTime(_ seconds: Double, _ pattern: String) -> String {
        var time = time_t(seconds)
        var parts = tm()
        localtime_r(&time, &parts)
        var buffer = [CChar](repeating: 0, count: 256)
        let length = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The text of a value under a spec, padded to width.
    static func apply(_ spec: Spec, to value: FieldValue) -> String {
        var text: String
        var isNumber = false
        switch value {
        case .none: text = ""
        case .text(let s): text = s
        case .int(let i):
            isNumber = true
            text = String(i)
        case .real(let d):
            isNumber = true
            if spec.type == "f" || spec.precision != nil {
                text = fixed(d, spec.precision ?? 6)
            } else {
                text = d == d.rounded() && abs(d) < 1e15 ? String(format1: d) : String(d)
            }
        }
        if spec.hyphen, ["", "0s", "0.0", "0:00:00"].contains(text) {
            text = "-"
            isNumber = false
        }
        if !isNumber, let precision = spec.precision, text.count > precision {
            text = String(text.prefix(precision))
            if spec.plusMarker, precision > 0 { text = String(text.dropLast()) + "+" }
        }
        guard let width = spec.width, text.count < width else { return text }
        let pad = width - text.count
        let fill = spec.zero && isNumber && spec.align == nil ? "0" : String(spec.fill)
        let padding = { (n: Int) in String(repeating: fill, count: n) }
        switch spec.align ?? (isNumber ? ">" : "<") {
        case ">": return padding(pad) + text
        case "^": return padding(pad / 2) + text + padding(pad - pad / 2)
        default: return text + padding(pad)
        }
    }

    /// A duration as flux-jobs(1) prints it (Python's flux.util.fsd): "0s" below 1ms,
    /// "%.3fs" below 10s, then "%.4g" with s, m, h or d.
    public static func fsd(_ seconds: Double) -> String {
        if seconds.isInfinite { return "infinity" }
        if seconds < 1.0e-3 { return "0s" }
        if seconds < 10 { return fixed(seconds, 3) + "s" }
        let (divisor, unit): (Double, String) =
            seconds < 60 ? (1, "s") : seconds < 3600 ? (60, "m") : seconds < 86400 ? (3600, "h") : (86400, "d")
        return printf("%.4g", seconds / divisor) + unit
    }

    /// `value` through a one-number printf pattern.
    static func printf(_ pattern: String, _ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = withVaList([value]) { vsnprintf(&buffer, buffer.count, pattern, $0) }
        return String(decoding: buffer[..<Int(max(0, min(length, 63)))].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `value` with `digits` decimals, as "%.*f".
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let length = withVaList([Int32(digits), value]) { vsnprintf(&buffer, buffer.count, "%.*f", $0) }
        return String(decoding: buffer[..<Int(max(0, min(length, 63)))].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension String {
    /// "H:MM:SS".
    init(format2 hours: Int, _ minutes: Int, _ seconds: Int) {
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        self = "\(hours):\(two(minutes)):\(two(seconds))"
    }

    /// A whole real as Python prints it: "3.0".
    init(format1 value: Double) {
        self = "\(Int64(value)).0"
    }
}
