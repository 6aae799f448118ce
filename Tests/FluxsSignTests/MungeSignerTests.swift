// MUNGE signatures of job requests against a real, private munged (its own key and
// socket in a temporary directory, started and stopped here): a signature verifies, an
// altered payload or header does not, an unreachable munged is said so.
import FluxsFormats
import FluxsSign
import Foundation
import Testing

/// A munged of the test's own.
final class PrivateMunged {
    let directory: String
    var socket: String { directory + "/munge.sock" }

    init() throws {
        directory = NSTemporaryDirectory() + "fluxs-munge-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // system(3), not Process: other suites' reactors take SIGCHLD for themselves.
        _ = system("/usr/sbin/mungekey --create --keyfile=\(directory)/munge.key")
        guard FileManager.default.fileExists(atPath: directory + "/munge.key") else { throw SignError("mungekey made no key") }
        _ = system("""
            /usr/sbin/munged --force --socket=\(socket) --key-file=\(directory)/munge.key --log-file=\(directory)/munged.log \
            --pid-file=\(directory)/munged.pid --seed-file=\(directory)/munged.seed
            """)
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: socket) { usleep(100_000) }
        guard FileManager.default.fileExists(atPath: socket) else { throw SignError("munged did not start (see \(directory)/munged.log)") }
    }

    deinit {
        _ = system("/usr/sbin/munged --socket=\(socket) --stop >/dev/null 2>&1")
        try? FileManager.default.removeItem(atPath: directory)
    }

    static var installed: Bool { FileManager.default.isExecutableFile(atPath: "/usr/sbin/munged") }
}

@Suite(.enabled(if: PrivateMunged.installed, "munged is not installed (make deps)"))
struct MungeSignerTests {
    static let jobspec = Array(#"{"version":1,"tasks":[{"command":["true"]}]}"#.utf8)

    @Test func aSignatureVerifies() throws {
        let munged = try PrivateMunged()
        let J = try MungeSigner.sign(Self.jobspec, socket: munged.socket)
        let request = try MungeSigner.verify(J, socket: munged.socket)
        #expect(request.mechanism == "munge")
        #expect(request.userid == getuid())
        #expect(request.payload == Self.jobspec)
        // A second check (another broker of the node) is no replay (RFC 39).
        #expect(try MungeSigner.verify(J, socket: munged.socket).payload == Self.jobspec)
    }

    @Test func anAlteredPayloadOrHeaderDoesNotVerify() throws {
        let munged = try PrivateMunged()
        let J = try SignedRequest(parsing: try MungeSigner.sign(Self.jobspec, socket: munged.socket))
        let otherPayload = SignedRequest.signedPart(payload: Array(#"{"version":1}"#.utf8), userid: J.userid, mechanism: "munge")
        let otherUser = SignedRequest.signedPart(payload: Self.jobspec, userid: J.userid + 1, mechanism: "munge")
        for forged in [otherPayload, otherUser] {
            #expect { try MungeSigner.verify(forged + "." + J.signature, socket: munged.socket) } throws: { error in
                "\(error)".contains("does not cover this header and payload")
            }
        }
        #expect { try MungeSigner.verify(J.signedPart + ".garbage", socket: munged.socket) } throws: { error in
            "\(error)".contains("J: the MUNGE credential is refused")
        }
        #expect { try MungeSigner.verify(SignedRequest.none(payload: Self.jobspec, userid: getuid()), socket: munged.socket) } throws: {
            "\($0)".contains("mechanism none is not munge")
        }
    }

    @Test func aSignatureOlderThanTheTTLDoesNotVerify() throws {
        let munged = try PrivateMunged()
        let J = try MungeSigner.sign(Self.jobspec, socket: munged.socket)
        #expect { try MungeSigner.verify(J, ttl: -1, socket: munged.socket) } throws: { "\($0)".contains("signed more than") }
    }

    @Test func anUnreachableMungedIsSaidSo() {
        #expect { try MungeSigner.sign(Self.jobspec, socket: "/nonexistent/munge.sock") } throws: { error in
            "\(error)".hasPrefix("cannot sign the job with MUNGE: ") && "\(error)".contains("/nonexistent/munge.sock")
        }
    }
}
