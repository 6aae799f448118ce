// flux-core's names for the size of an instance job (common/job-param-batch.rst):
// `--nslots`, `--cores-per-slot`, `--gpus-per-slot`, taken by fluxs alloc and fluxs
// batch (and their directives) beside the submission options' `-n`, `-c`, `-g`, which
// mean the same there (an instance job's task is a slot). BatchOptions is the two
// groups together, as a batch directive line is parsed.
import ArgumentParser

/// --nslots, --cores-per-slot and --gpus-per-slot.
struct SlotOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Number of resource slots (as -n).", valueName: "N"))
    var nslots: Int?
    @Option(help: ArgumentHelp("Cores per slot (as -c; default 1).", valueName: "N"))
    var coresPerSlot: Int?
    @Option(help: ArgumentHelp("GPUs per slot (as -g; default 0).", valueName: "N"))
    var gpusPerSlot: Int?

    /// `options` with the slot counts given here in place of -n, -c and -g; naming one
    /// count twice with different values is a usage error.
    func applied(to options: SubmissionOptions) throws -> SubmissionOptions {
        var result = options
        for (value, current, names, set) in [
            (nslots, options.ntasks, "-n and --nslots", { (o: inout SubmissionOptions, v: Int) in o.ntasks = v }),
            (coresPerSlot, options.coresPerTask, "-c and --cores-per-slot", { $0.coresPerTask = $1 }),
            (gpusPerSlot, options.gpusPerTask, "-g and --gpus-per-slot", { $0.gpusPerTask = $1 }),
        ] as [(Int?, Int?, String, (inout SubmissionOptions, Int) -> Void)] {
            guard let value else { continue }
            if let current, current != value { throw ValidationError("\(names) give different counts (\(current), \(value))") }
            set(&result, value)
        }
        try result.validate()
        return result
    }
}

/// The options of a batch directive line: the submission options and the slot names.
struct BatchOptions: ParsableArguments {
    @OptionGroup var submission: SubmissionOptions
    @OptionGroup var slots: SlotOptions
}
