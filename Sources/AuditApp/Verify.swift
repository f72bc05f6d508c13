import AuditStore

extension AuditApp {
    /// Recomputes the tamper-evident chain from the stored rows (see ``ChainVerifier``).
    public func verify() throws -> ChainReport {
        try ChainVerifier.verify(migratedConnection())
    }
}
