// The libFuzzer entry of `make fuzz`: one program, the target chosen by
// FLUXS_FUZZ_TARGET. Each target feeds the bytes to one parser or codec of what fluxs
// reads from outside (the wire, files, users): a thrown error is a fine answer, a crash,
// a trap (overflow, bounds, force unwrap) or an ASan report is a bug. Where a parser has
// a writer, what it reads must be written and read back equal.
import FluxsFormats
import FluxsMessage
import FluxsPMI
import FluxsYAML
import TOMLKit
#if canImport(Glibc)
import Glibc
#endif

/// The targets, by name.
let targets: [String: @Sendable ([UInt8]) -> Void] = [
    "codec": { bytes in
        // A frame body, then the same bytes as a stream of frames.
        if let message = try? bytes.withUnsafeBytes({ try MessageCodec.decodeBody($0) }) {
            let again = try? MessageCodec.decode(MessageCodec.encode(message))
            precondition(again == message, "a decoded message does not encode and decode to itself")
        }
        var decoder = FrameDecoder(maxFrameSize: 1 << 20)
        decoder.append(bytes)
        while (try? decoder.next()) != nil {}
    },
    "json": { bytes in
        guard let value = try? JSONValue(parsing: bytes) else { return }
        precondition((try? JSONValue(parsing: value.compactBytes)) != nil, "compactBytes of a parsed value does not parse")
    },
    "jobspec-json": { bytes in
        guard let document = try? JSONValue(parsing: bytes) else { return }
        _ = try? Jobspec(validating: document)
    },
    "jobspec-yaml": { bytes in
        guard let document = try? Jobspec.parseDocument(String(decoding: bytes, as: UTF8.self)) else { return }
        _ = try? Jobspec(validating: document)
    },
    "R": { bytes in
        guard let R = try? ResourceSet(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        precondition((try? ResourceSet(json: R.json)) == R, "R does not read back equal")
    },
    "idset": { bytes in
        guard let set = try? IDSet(parsing: String(decoding: bytes, as: UTF8.self)) else { return }
        precondition((try? IDSet(parsing: set.description)) == set, "an idset does not read back equal")
    },
    "hostlist": { bytes in
        guard let list = try? Hostlist(parsing: String(decoding: bytes.prefix(4096), as: UTF8.self)) else { return }
        // Written back, a list of millions of hosts is gigabytes (its text is that long):
        // the read-back check is for lists that fit in the fuzzer's memory limit.
        guard list.count <= 100_000 else { return }
        precondition((try? Hostlist(parsing: list.description)) == list, "a hostlist does not read back equal")
    },
    "fsd": { bytes in _ = try? FluxDuration.parse(String(decoding: bytes, as: UTF8.self)) },
    "eventlog": { bytes in
        guard let entries = try? Eventlog.parse(String(decoding: bytes, as: UTF8.self)) else { return }
        precondition((try? Eventlog.parse(Eventlog.format(entries)))?.count == entries.count, "an eventlog does not read back")
    },
    "toml": { bytes in
        guard let table = try? TOMLTable(string: String(decoding: bytes, as: UTF8.self)),
              let json = try? JSONValue(parsing: table.convert(to: .json)) else { return }
        _ = try? InstanceConfig(files: [(name: "fuzz.toml", table: json)])
    },
    "pmi": { bytes in
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") { _ = try? PMIMessage.parse(line) }
    },
    "signed": { bytes in
        _ = try? SignedRequest(parsing: String(decoding: bytes, as: UTF8.self))
        _ = try? SecurityKV.decode(bytes)
    },
]

let chosen: @Sendable ([UInt8]) -> Void = {
    let name = getenv("FLUXS_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = targets[name] else {
        print("fluxs-fuzz: set FLUXS_FUZZ_TARGET to one of: \(targets.keys.sorted().joined(separator: " "))")
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    chosen(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// libFuzzer's driver, for a program whose `main` SwiftPM names after its module.
@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
               _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

@_cdecl("fluxs_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var values = argv
    return runDriver(&count, &values, fuzzOne)
}
