// Tests of Flux Standard Duration (RFC 23): units, infinity, exact errors, and the
// formatting of flux-core's fsd_format_duration (its own test values included).
import Testing
@testable import FluxsFormats

/// Flux Standard Durations (RFC 23).
@Suite struct FluxDurationTests {
    @Test(arguments: [
        ("0", 0), ("0s", 0), ("0m", 0), ("0h", 0), ("0d", 0), ("0ms", 0), ("-0", 0),
        ("0.5", 0.5), ("0.5s", 0.5), ("0.5m", 30), ("0.5h", 1800), ("1.0d", 86400),
        ("30s", 30), ("5m", 300), ("1.5h", 5400), ("2d", 172_800), ("100ms", 0.1), ("1500ms", 1.5),
        (".5m", 30), ("5.", 5), ("+5s", 5), ("1e3", 1000), ("2.5E-1h", 900), ("1e+2ms", 0.1),
        ("inf", .infinity), ("infinity", .infinity), ("INF", .infinity), ("Infinity", .infinity),
        ("+inf", .infinity), ("1e308", 1e308),
    ] as [(String, Double)])
    func parsesDurations(_ text: String, _ seconds: Double) throws {
        #expect(try FluxDuration.parse(text) == seconds)
    }

    @Test(arguments: [
        ("", #"duration "": is empty"#),
        ("5x", #"duration "5x": unknown unit "x""#),
        ("-1s", #"duration "-1s": must not be negative"#),
        ("-1.", #"duration "-1.": must not be negative"#),
        ("-inf", #"duration "-inf": must not be negative"#),
        ("1.0f", #"duration "1.0f": unknown unit "f""#),
        ("1.0sec", #"duration "1.0sec": unknown unit "sec""#),
        ("5S", #"duration "5S": unknown unit "S""#),
        ("1e", #"duration "1e": unknown unit "e""#),
        ("5s ", #"duration "5s ": unknown unit "s ""#),
        ("5 s", #"duration "5 s": unknown unit " s""#),
        (" 5s", #"duration " 5s": not a number"#),
        ("abc", #"duration "abc": not a number"#),
        (".", #"duration ".": not a number"#),
        ("e5", #"duration "e5": not a number"#),
        ("nan", #"duration "nan": not a number"#),
        ("s", #"duration "s": not a number"#),
        ("infs", #"duration "infs": infinity takes no unit"#),
        ("infinityd", #"duration "infinityd": infinity takes no unit"#),
        ("info", #"duration "info": unknown unit "o""#),
        ("1e999", #"duration "1e999": out of range"#),
        ("1e308d", #"duration "1e308d": out of range"#),
    ])
    func rejectsMalformedDurations(_ text: String, _ message: String) {
        #expect(throws: ParseError(message)) { try FluxDuration.parse(text) }
    }

    @Test(arguments: [
        (0, "0s"), (0.001, "1ms"), (0.0621, "62.1ms"), (0.0000123, "0.0123ms"), (0.1, "0.1s"),
        (5, "5s"), (5.1, "5.1s"), (30, "30s"), (59.9999999, "60s"), (62, "1.03333m"), (90, "1.5m"),
        (3600, "1h"), (4500, "1.25h"), (5400, "1.5h"), (86400, "1d"), (103_680, "1.2d"),
        (1e9, "11574.1d"), (1e12, "1.15741e+07d"), (.infinity, "infinity"), (-5, "-5s"), (.nan, "nan"),
    ] as [(Double, String)])
    func formatsLikeFlux(_ seconds: Double, _ text: String) {
        #expect(FluxDuration.format(seconds) == text)
    }

    @Test func formatsWithChosenPrecision() {
        #expect(FluxDuration.format(62, precision: 2) == "1m")
        #expect(FluxDuration.format(4500, precision: 2) == "1.2h")
        #expect(FluxDuration.format(1.0 / 3, precision: 10) == "0.3333333333s")
    }

    @Test(arguments: [0, 0.001, 0.25, 1, 30, 90, 5400, 259_200, 1.5e-5, 129_600, .infinity] as [Double])
    func roundTripsValuesThatFitSixDigits(_ seconds: Double) throws {
        let back = try FluxDuration.parse(FluxDuration.format(seconds))
        #expect(back == seconds || abs(back - seconds) <= seconds * 1e-12)
    }
}
