/// Totals over the record tables, for status lines and checks.
public struct RecordCounts: Sendable, Equatable {
    public let predictions: Int
    public let labels: Int
    public let quarantined: Int
    public let batches: Int

    public init(predictions: Int, labels: Int, quarantined: Int, batches: Int) {
        self.predictions = predictions
        self.labels = labels
        self.quarantined = quarantined
        self.batches = batches
    }
}
