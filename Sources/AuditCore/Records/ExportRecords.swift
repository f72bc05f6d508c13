/// One committed ingest batch, as an export names it.
public struct IngestBatchSummary: Sendable, Equatable {
    public let batchID: Int64
    public let kind: String
    public let source: String
    public let inserted: Int
    public let duplicates: Int
    public let rejected: Int
    public let chainHash: String
    public let codeVersion: String
    public let ingestedAt: Timestamp

    public init(
        batchID: Int64, kind: String, source: String, inserted: Int, duplicates: Int, rejected: Int, chainHash: String,
        codeVersion: String, ingestedAt: Timestamp
    ) {
        self.batchID = batchID
        self.kind = kind
        self.source = source
        self.inserted = inserted
        self.duplicates = duplicates
        self.rejected = rejected
        self.chainHash = chainHash
        self.codeVersion = codeVersion
        self.ingestedAt = ingestedAt
    }
}

/// A clinician label that revises an earlier label of the same prediction.
public struct LabelRevision: Sendable, Equatable {
    public let labelID: Int64
    public let predictionID: String
    public let reviewer: String
    public let reviewedAt: Timestamp
    public let recordedAt: Timestamp
    public let batchID: Int64

    public init(labelID: Int64, predictionID: String, reviewer: String, reviewedAt: Timestamp, recordedAt: Timestamp, batchID: Int64) {
        self.labelID = labelID
        self.predictionID = predictionID
        self.reviewer = reviewer
        self.reviewedAt = reviewedAt
        self.recordedAt = recordedAt
        self.batchID = batchID
    }
}

/// One calibration status change (a row of the calibration event chain).
public struct CalibrationStatusEvent: Sendable, Equatable {
    public let eventID: Int64
    public let versionID: Int64
    public let model: String
    public let status: CalibrationStatus
    public let actor: String
    public let reason: String
    public let recordedAt: Timestamp
    public let eventHash: String

    public init(
        eventID: Int64, versionID: Int64, model: String, status: CalibrationStatus, actor: String, reason: String, recordedAt: Timestamp,
        eventHash: String
    ) {
        self.eventID = eventID
        self.versionID = versionID
        self.model = model
        self.status = status
        self.actor = actor
        self.reason = reason
        self.recordedAt = recordedAt
        self.eventHash = eventHash
    }
}
