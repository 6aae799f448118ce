// fluxs-shell: the job shell (man fluxs-shell(1)). job-exec starts it as
//   fluxs-shell --input-fd=N
// with the job on descriptor N (see ShellInput.swift), and fluxs-imp, for a guest's
// job, adds --jobspec-fd=M: the jobspec the guest signed. It is not meant to be run by hand.
import FluxsFormats
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
guard let option = arguments.first(where: { $0.hasPrefix("--input-fd=") }),
      let fd = Int32(option.dropFirst("--input-fd=".count)) else {
    writeStderr("fluxs-shell: error: usage: fluxs-shell --input-fd=N (the shell is started by job-exec)\n")
    exit(2)
}
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
if let option = arguments.first(where: { $0.hasPrefix("--jobspec-fd=") }) {
    guard let signedFD = Int32(option.dropFirst("--jobspec-fd=".count)), case .object(var members) = json else {
        writeStderr("fluxs-shell: error: bad \(option)\n")
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
