// One member of a tar archive (POSIX.1-2001 pax interchange format over ustar), as
// TarWriter writes it and TarReader reads it. Pure values, no I/O: the callers (fluxs
// dump and restore) read and write the bytes.
//
// A member is 512-byte blocks: a ustar header, then the data padded to a block. What
// does not fit the header (a path over 100 bytes that cannot be split at a slash into
// 155 + 100, a link target over 100 bytes, a size of 8 GiB or more, ids or times out of
// the octal fields' range, vendor records) goes into a pax extended header ('x') just
// before it. The archive ends with two zero blocks.

/// A member of a tar archive.
public struct TarEntry: Sendable, Hashable {
    /// What a member is.
    public enum Kind: Sendable, Hashable {
        /// A regular file, with `data`.
        case file
        /// A directory (its path is written with a trailing slash, as tar does).
        case directory
        /// A symbolic link to `linkTarget`.
        case symlink
        /// A hard link to `linkTarget` (read only; fluxs never writes one).
        case hardlink
        /// Any other ustar type (a device, a FIFO, ...), with its type flag.
        case other(UInt8)
    }

    /// The member's path, relative, '/'-separated, without a trailing slash.
    public var path: String
    /// What it is.
    public var kind: Kind
    /// The permission bits (and set-id and sticky bits).
    public var mode: UInt32
    /// Owner and group ids.
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// Owner and group names (may be empty).
    public var uname: String = ""
    public var gname: String = ""
    /// Modification time, seconds since the epoch.
    public var mtime: Int64 = 0
    /// The target of a symbolic or hard link.
    public var linkTarget: String = ""
    /// The content of a regular file.
    public var data: [UInt8] = []
    /// Pax records of the member's extended header other than those that carry the
    /// fields above (vendor records such as "SCHILY.xattr.user.fluxs.json"), by keyword.
    public var records: [String: String] = [:]

    /// A member as given.
    public init(path: String, kind: Kind = .file, mode: UInt32 = 0o644, data: [UInt8] = []) {
        self.path = path
        self.kind = kind
        self.mode = mode
        self.data = data
    }
}
