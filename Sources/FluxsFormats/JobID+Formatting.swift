// Writing job ids in the text forms of RFC 19 and flux-core's `flux job id --to=FORM`.
// Invariant: for every form and every id, `JobID(parsing: id.formatted(form)) == id`.

/// A text form of a job id; the raw value is the name `flux job id --to=` takes.
public enum JobIDForm: String, CaseIterable, Sendable {
    /// Decimal, e.g. `6731191091817518`.
    case dec
    /// Hexadecimal with "0x", lowercase, no padding, e.g. `0x17e9fb8df16c2e`.
    case hex
    /// Four dot-separated groups of four hex digits, e.g. `0017.e9fb.8df1.6c2e`.
    case dothex
    /// The job's KVS directory: "job." and the dothex form, e.g. `job.0017.e9fb.8df1.6c2e`.
    case kvs
    /// Base58 with the "ƒ" (U+0192) prefix, e.g. `ƒuZZybuNNy`.
    case f58
    /// Base58 with an ASCII "f" prefix, for terminals without UTF-8, e.g. `fuZZybuNNy`.
    case f58plain
    /// Six mnemonicode words, e.g. `reform-remote-galileo--heart-package-academy`.
    case words
}

extension JobID {
    /// The Bitcoin base58 alphabet F58 uses: no 0, O, I or l.
    static let f58Alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    /// The F58 prefix, U+0192.
    static let f58Prefix = "ƒ"
    /// The ASCII stand-in for the F58 prefix.
    static let f58PlainPrefix = "f"
    /// The KVS key prefix of a job's directory.
    static let kvsPrefix = "job."
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The id written in `form`.
    public func formatted(_ form: JobIDForm) -> String {
        switch form {
        case .dec: String(value)
        case .hex: "0x" + String(value, radix: 16)
        case .dothex: dothex
        case .kvs: Self.kvsPrefix + dothex
        case .f58: base58(prefix: Self.f58Prefix)
        case .f58plain: base58(prefix: Self.f58PlainPrefix)
        case .words: Mnemonic.encode(value)
        }
    }

    /// "xxxx.xxxx.xxxx.xxxx": all 16 hex digits, a dot after every fourth.
    private var dothex: String {
        String(unsafeUninitializedCapacity: 19) { out in
            var at = 0
            for nibble in (0..<16).reversed() {
                out[at] = Self.hexDigits[Int(value >> (4 * nibble) & 0xF)]
                at += 1
                if nibble % 4 == 0, nibble > 0 {
                    out[at] = UInt8(ascii: ".")
                    at += 1
                }
            }
            return at
        }
    }

    /// `prefix` then the base58 digits of the value, most significant first ("1" for zero).
    private func base58(prefix: String) -> String {
        var digitCount = 1
        var rest = value / 58
        while rest > 0 {
            digitCount += 1
            rest /= 58
        }
        let prefixCount = prefix.utf8.count
        return String(unsafeUninitializedCapacity: prefixCount + digitCount) { out in
            var at = 0
            for byte in prefix.utf8 {
                out[at] = byte
                at += 1
            }
            rest = value
            for position in (at..<at + digitCount).reversed() {
                out[position] = Self.f58Alphabet[Int(rest % 58)]
                rest /= 58
            }
            return prefixCount + digitCount
        }
    }
}
