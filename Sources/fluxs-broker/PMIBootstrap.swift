// The PMI-1 bootstrap: a broker launched by a process manager (mpiexec.hydra, Slurm,
// `fluxs start --test-size`, a parent instance's shell) learns its rank and size from
// PMI and swaps business cards (overlay URIs) through the PMI key-value space:
// put "fluxs.tbon.RANK", barrier, get the parent's (and, when each broker has CURVE
// keys of its own, the children's: their public keys), finalize.
import FluxsBroker
import FluxsMessage
import FluxsPMI

/// Rank, size and business cards through PMI-1.
final class PMIBootstrap: Bootstrap {
    private let client: PMIClient
    var rank: UInt32 { UInt32(client.rank) }
    var size: UInt32 { UInt32(client.size) }

    init(client: PMIClient) { self.client = client }

    /// Cards are the brokers' own: each carries its CURVE public key.
    var exchangesKeys: Bool { true }

    func exchange(card: String, wanting ranks: [UInt32]) throws(ServiceError) -> [UInt32: String] {
        try client.put(key: "fluxs.tbon.\(rank)", value: card.isEmpty ? "none" : card)
        try client.barrier()
        var cards: [UInt32: String] = [:]
        for r in ranks {
            guard let value = try client.get(key: "fluxs.tbon.\(r)"), value != "none" else {
                throw ServiceError(EPROTO, "PMI: rank \(r) published no overlay endpoint")
            }
            cards[r] = value
        }
        try client.finalize()
        return cards
    }
}

#if canImport(Glibc)
import Glibc
#endif
