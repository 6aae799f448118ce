// fluxs-shell: the job shell (man fluxs-shell(1)). job-exec starts it as
//   fluxs-shell --input-fd=N
// with the job on descriptor N (see ShellInput.swift), and fluxs-imp, for a guest's
// job, adds --jobspec-fd=M: the jobspec the guest signed. Or job-exec starts one
//   fluxs-shell --zygote=N
// per broker, which forks a shell for each of the instance owner's jobs (Zygote.swift).
// It is not meant to be run by hand.
import FluxsFormats
import FluxsProcess
import FluxsReactor
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst()
if let option = arguments.first(where: { $0.hasPrefix("--zygote=") }) {
    guard let fd = Int32(option.dropFirst("--zygote=".count)) else {
        writeStderr("fluxs-shell: error: bad \(option)\n")
        exit(2)
    }
    Zygote(socket: fd).run()
}
guard let option = arguments.first(where: { $0.hasPrefix("--input-fd=") }),
      let fd = Int32(option.dropFirst("--input-fd=".count)) else {
    writeStderr("fluxs-shell: error: usage: fluxs-shell --input-fd=N (the shell is started by job-exec)\n")
    exit(2)
}
var signedFD: Int32?
if let option = arguments.first(where: { $0.hasPrefix("--jobspec-fd=") }) {
    guard let value = Int32(option.dropFirst("--jobspec-fd=".count)) else {
        writeStderr("fluxs-shell: error: bad \(option)\n")
        exit(2)
    }
    signedFD = value
}
runShell(inputFD: fd, signedFD: signedFD)
