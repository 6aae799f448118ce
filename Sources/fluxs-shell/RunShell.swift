// One job's shell, from its input on a descriptor to its exit: what `fluxs-shell
// --input-fd=N` runs, and what a zygote's child runs after the fork.
import FluxsFormats
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

/// Reads the job from `inputFD` (and, for a guest's job started by fluxs-imp, the
/// jobspec it signed from `signedFD`), runs it and exits.
func runShell(inputFD fd: Int32, signedFD: Int32?) -> Never {
    var json: JSONValue
    do {
        json = try JSONValue(parsing: Descriptors.readAll(fd, name: "descriptor \(fd)"))
    } catch {
        writeStderr("fluxs-shell: error: unreadable input on descriptor \(fd): \(error)\n")
        exit(2)
    }
    close(fd)
    // A guest's shell, started by fluxs-imp: the jobspec to run is the one the guest
    // signed, which the IMP checked and handed over, whatever the input says.
    if let signedFD {
        guard case .object(var members) = json else {
            writeStderr("fluxs-shell: error: the input is not a JSON object\n")
            exit(2)
        }
        do {
            members["jobspec"] = try JSONValue(parsing: Descriptors.readAll(signedFD, name: "descriptor \(signedFD)"))
        } catch {
            writeStderr("fluxs-shell: error: unreadable signed jobspec on descriptor \(signedFD): \(error)\n")
            exit(2)
        }
        close(signedFD)
        json = .object(members)
    }
    do {
        let reactor = try Reactor()
        let shell = try Shell(input: try ShellInput(json), reactor: reactor)
        shell.start()
        reactor.run()
    } catch {
        writeStderr("fluxs-shell: \(error)\n")
        exit(1)
    }
    exit(0)
}
