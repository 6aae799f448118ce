// A job id on the wire: a JSON integer holding the id's 64 bits (RFC 19's "dec" form,
// as a signed 64-bit number when it is above Int64.max, which JSON text carries the
// same way). Every message that names a job uses this form and only this form.
import FluxsFormats
import FluxsMessage

extension JobID {
    /// The id as a message carries it.
    public var wire: JSONValue { .int(Int64(bitPattern: value)) }

    /// Reads an id as a message carries it; nil when `json` is absent or not an integer.
    public init?(wire json: JSONValue?) {
        guard let wide = json?.intValue else { return nil }
        self.init(UInt64(bitPattern: wide))
    }
}
