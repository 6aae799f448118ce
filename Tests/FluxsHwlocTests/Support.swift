// Helpers shared by the FluxsHwloc tests: the fixture files and catching a ServiceError.
import Foundation
import FluxsMessage
import Testing
@testable import FluxsHwloc

/// The XML topologies under Fixtures/.
enum Fixture {
    /// The path of `Fixtures/<name>.xml`.
    static func path(_ name: String) throws -> String {
        let base = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures")
        return base.appendingPathComponent(name + ".xml").path
    }

    /// The node described by `Fixtures/<name>.xml`.
    static func inventory(_ name: String, restrictTo cpuset: String? = nil, loadIODevices: Bool = true) throws
        -> NodeInventory
    {
        try NodeInventory.discover(xmlPath: path(name), restrictTo: cpuset, loadIODevices: loadIODevices)
    }
}

/// The ServiceError `body` throws, or nil when it returns.
func thrownError<T>(_ body: () throws(ServiceError) -> T) -> ServiceError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
