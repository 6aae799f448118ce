// An option value that remembers where it stood on its command line, for options whose
// relative order matters across several spellings: --env, --env-remove and --env-file
// are applied in the order given (as Flux applies them), which swift-argument-parser,
// keeping one array per option, does not tell. Each value takes the next number of a
// process-wide counter as the parser reads it, and the parser reads a command line
// from left to right, so sorting the values of one parse by number restores the order.
import ArgumentParser

/// A value of a repeatable option, with its position among the values of its parse.
struct OrderedArgument: ExpressibleByArgument, Sendable {
    /// The value as given.
    var text: String
    /// Larger for values read later.
    var position: Int

    /// Read by the parser: numbered after every value read before it.
    init?(argument: String) { self.init(argument) }

    /// A value numbered after every value made before it.
    init(_ text: String) {
        self.text = text
        position = Self.next()
    }

    /// This value with its text changed and its position kept.
    func map(_ transform: (String) -> String) -> OrderedArgument {
        var copy = self
        copy.text = transform(text)
        return copy
    }

    // Arguments are parsed on the main thread, before anything else starts.
    nonisolated(unsafe) private static var counter = 0

    private static func next() -> Int {
        counter += 1
        return counter
    }
}
