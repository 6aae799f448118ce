// The release this source tree builds, shown by `fluxs version` and the broker's
// `version` attribute.

/// The fluxs version.
public enum FluxsVersion {
    /// The version string, e.g. "0.1.0".
    public static let string = "0.1.0"
}
