import AuditCore
import AuditStore
import Foundation
import Logging
import Statistics

/// How to ingest.
public struct IngestOptions: Sendable {
    public var kind: RecordKind
    /// The input format; nil guesses from each file name.
    public var format: InputFormat?
    /// Records per transaction; a batch lands completely or not at all.
    public var batchSize: Int
    /// Where to write every rejected record (JSON Lines), if anywhere.
    public var rejectsPath: String?
    /// Batches of predictions committed at once, each on a connection of its own (labels: always one).
    public var commitLanes: Int
    /// The CSV delimiter (`,`, `;` or tab); nil guesses it from each file's header line.
    public var csvDelimiter: UInt8?
    /// Whether the run ends with a look at the threshold monitors (docs/monitor.md). A bulk back-fill may leave it to
    /// `vlm-audit monitor`, which reads the same labels later.
    public var updatesMonitors = true

    public init(kind: RecordKind, format: InputFormat? = nil, batchSize: Int = 10_000, rejectsPath: String? = nil, commitLanes: Int = 2) {
        self.kind = kind
        self.format = format
        self.batchSize = max(1, batchSize)
        self.rejectsPath = rejectsPath
        self.commitLanes = max(1, commitLanes)
    }
}

/// What an ingest run did, for the summary line and `--json`.
public struct IngestSummary: Sendable, Codable, Equatable {
    public var kind: String
    public var files: Int = 0
    public var read: Int = 0
    public var inserted: Int = 0
    public var duplicates: Int = 0
    public var quarantined: Int = 0
    public var alreadyQuarantined: Int = 0
    public var batches: Int = 0
    /// Audit members among the predictions stored by this run (docs/audit.md); nil for labels.
    public var auditMembers: Int?
    /// Alarms of the sequential monitors raised by the labels this run stored (docs/monitor.md), by reason.
    public var monitorAlarms: [String] = []
    public var seconds: Double = 0
    /// Seconds per phase: `read_validate` (reading, parsing, validating, deriving scores, hashing and encoding the rows,
    /// on a reader thread that overlaps the others), `copy`, `merge`; so the phases can add up to more than `seconds`.
    public var timings: [String: Double] = [:]
    /// Rejections grouped by the field at fault (`record` when the whole record is), most frequent first.
    public var topReasons: [ReasonCount] = []

    /// How often records were rejected for one field, with the first reason seen as an example.
    public struct ReasonCount: Sendable, Codable, Equatable {
        public let field: String
        public let count: Int
        public let example: String
    }

    /// Records rejected this run, whether newly quarantined or already there.
    public var rejected: Int { quarantined + alreadyQuarantined }

    enum CodingKeys: String, CodingKey {
        case kind, files, read, inserted, duplicates, quarantined, batches, seconds, timings
        case alreadyQuarantined = "already_quarantined"
        case auditMembers = "audit_members"
        case monitorAlarms = "monitor_alarms"
        case topReasons = "top_reasons"
    }
}

/// Progress of a running ingest, reported after every batch.
public struct IngestProgress: Sendable {
    public let source: String
    /// The file's place among the inputs (1-based) and their number.
    public let file: Int
    public let files: Int
    public let read: Int
    public let rejected: Int
    public let seconds: Double
    /// Bytes of all inputs consumed so far, and their total (nil when an input is standard input).
    public let bytesDone: Int
    public let bytesTotal: Int?

    /// The share done, 0…1 (nil without a total).
    public var fraction: Double? { bytesTotal.map { $0 > 0 ? min(1, Double(bytesDone) / Double($0)) : 1 } }

    /// Seconds left at the rate so far (nil without a total, or before anything was read).
    public var secondsLeft: Double? {
        guard let fraction, fraction > 0, seconds > 0 else { return nil }
        return seconds * (1 - fraction) / fraction
    }
}

extension AuditApp {
    /// Ingests prediction or label files (JSON Lines or CSV; `-` is standard input), batch by batch.
    ///
    /// Invalid records are quarantined with their reason and the valid ones still land; re-sending is harmless.
    /// Batches of predictions are committed two at a time (``IngestOptions/commitLanes``), in the chain in input order;
    /// two batches that share a prediction id are committed one after the other, so the first in the input wins.
    /// - Throws: for unreadable files or database failures; a batch that fails is rolled back whole (the batch committing
    ///   beside it may still land, and re-running the command stores exactly what is missing).
    public func ingest(paths: [String], options: IngestOptions, progress: (IngestProgress) -> Void = { _ in }) throws -> IngestSummary {
        // The schema first, before anything is read: the first lane commits on this connection.
        let connection = try migratedConnection()
        let started = Date()
        var summary = IngestSummary(kind: options.kind.rawValue)
        var reasons: [String: (count: Int, example: String)] = [:]
        let rejects = try options.rejectsPath.map { try RejectsFile(path: $0) }
        // A lent connection cannot be shared; labels are classified against every earlier batch, so they gain nothing.
        let laneCount = options.kind == .predictions && !isBorrowing ? options.commitLanes : 1
        let lanes = (0..<laneCount).map { number in
            CommitLane(name: "vlm-audit.ingest.commit.\(number)", connection: number == 0 ? connection : nil) { [self] in
                try migratedConnection()
            }
        }
        defer { lanes.forEach { $0.close() } }
        var committing: [(lane: CommitLane, batch: ReadBatch, source: String)] = []  // oldest first
        let sizes = paths.map { path -> Int? in
            path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        }
        let bytesTotal: Int? = sizes.contains { $0 == nil } ? nil : sizes.reduce(0) { $0 + ($1 ?? 0) }
        var bytesBefore = 0  // the sizes of the files already done
        var fileIndex = 0
        var storedBatches: [Int64] = []

        /// Waits for the oldest batch committing and accounts for it (in input order, whatever the order they finish in);
        /// then hands it back to `pipeline` to be freed.
        func settleOldest(_ pipeline: BatchPipeline<ReadBatch>) throws {
            let (lane, batch, source) = committing.removeFirst()
            defer { pipeline.recycle(batch) }
            let outcome = try lane.wait().get()
            summary.read += batch.prepared.items.count
            summary.timings["read_validate", default: 0] += batch.seconds
            summary.batches += 1
            summary.inserted += outcome.inserted
            if outcome.inserted > 0 { storedBatches.append(outcome.batchID) }
            // Labels move the threshold monitors after every batch, so an alarm takes effect during a long file. The one
            // lane of labels commits on `connection`, idle until the next batch starts.
            if options.kind == .labels && options.updatesMonitors && outcome.inserted > 0 {
                summary.monitorAlarms += lookAtMonitors(on: connection)
            }
            summary.duplicates += outcome.duplicates
            summary.quarantined += outcome.quarantined.count
            summary.alreadyQuarantined += outcome.alreadyQuarantined
            summary.timings.merge(outcome.timings, uniquingKeysWith: +)
            for rejection in outcome.rejections {
                reasons[rejection.field ?? "record", default: (0, rejection.reason)].count += 1
                try rejects?.write(rejection)
            }
            progress(
                IngestProgress(
                    source: source, file: fileIndex + 1, files: paths.count, read: summary.read,
                    rejected: summary.rejected, seconds: Date().timeIntervalSince(started),
                    bytesDone: bytesBefore + batch.bytesDone, bytesTotal: bytesTotal))
        }

        for path in paths {
            let sourceName = path == "-" ? "stdin" : path
            let pipeline = Self.readBatches(path: path, options: options)
            do {
                while let batch = try pipeline.next() {
                    // A free lane, and no batch committing that shares an id with this one (each could wait for the
                    // other's row, and the later one in the input could be stored first).
                    while committing.count == lanes.count
                        || committing.contains(where: { $0.batch.prepared.sharesPredictionIDs(with: batch.prepared) })
                    {
                        try settleOldest(pipeline)
                    }
                    let lane = lanes.first { lane in !committing.contains { $0.lane === lane } }!
                    lane.start(batch.prepared, kind: options.kind, source: sourceName)
                    committing.append((lane, batch, sourceName))
                    lane.waitUntilPlaced()  // so the next batch, on the other lane, comes after it in the chain
                }
                while !committing.isEmpty { try settleOldest(pipeline) }
            } catch {
                for (lane, _, _) in committing { _ = lane.wait() }  // their connections must be idle before they close
                pipeline.cancel()
                throw error
            }
            summary.files += 1
            bytesBefore += sizes[fileIndex] ?? 0
            fileIndex += 1
        }
        if options.kind == .predictions {
            summary.auditMembers = try AuditPlanStore.memberCount(connection, batchIDs: storedBatches)
        }
        // Predictions rarely carry labels: one look after the run (on the first lane's connection, idle now).
        if options.kind == .predictions && summary.inserted > 0 && options.updatesMonitors {
            summary.monitorAlarms = lookAtMonitors(on: connection)
        }
        summary.seconds = Date().timeIntervalSince(started)
        summary.topReasons = reasons.sorted { $0.value.count > $1.value.count || ($0.value.count == $1.value.count && $0.key < $1.key) }
            .prefix(8).map { IngestSummary.ReasonCount(field: $0.key, count: $0.value.count, example: $0.value.example) }
        return summary
    }

    /// Records read, validated, hashed and encoded ahead, one batch at a time, with the seconds that took.
    struct ReadBatch: Sendable {
        let prepared: PreparedBatch
        let seconds: Double
        /// Bytes of the file consumed up to the end of this batch.
        let bytesDone: Int
    }

    /// Reads `path` on a thread of its own (parse, validate, derive, hash, encode the rows) while the caller commits
    /// earlier batches. One thread, not more: the database's process, which the commits wait for, needs the other
    /// core (splitting this work over two threads made ingest slower on two cores).
    static func readBatches(path: String, options: IngestOptions) -> BatchPipeline<ReadBatch> {
        let (kind, batchSize, format, delimiter) = (
            options.kind, options.batchSize, options.format ?? .guess(path: path), options.csvDelimiter
        )
        return BatchPipeline { emit in
            var source = try RecordSource(path: path, format: format, kind: kind, delimiter: delimiter)
            var preparer = PreparedBatch.Preparer(expectedCount: batchSize)
            var started = DispatchTime.now()
            func emitBatch() -> Bool {
                let prepared = preparer.finish()
                defer { started = DispatchTime.now() }
                return emit(ReadBatch(prepared: prepared, seconds: seconds(since: started), bytesDone: source.consumedBytes))
            }
            while let raw = try source.next() {
                let lineNumber = raw.lineNumber
                switch raw.takeContent() {
                case .scannedPrediction(let line):
                    // Hashed and encoded straight from the line: no record is made.
                    preparer.appendPrediction(source.scan, line: line, lineNumber: lineNumber, derived: source.scan.derivedScores())
                case .parsed(let value, let text):
                    preparer.append(
                        IngestItem(lineNumber: lineNumber, raw: text, outcome: outcome(of: value, kind: kind, sourceText: text)))
                }
                if preparer.count >= batchSize {
                    guard emitBatch() else { return }
                }
            }
            if preparer.count > 0 { _ = emitBatch() }
        }
    }

    private static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    /// What validation makes of a parsed record (or of a text that could not be parsed); `sourceText` is the line it
    /// was read from, when there is one.
    static func outcome(of value: Result<JSONValue, RecordRejection>, kind: RecordKind, sourceText: String? = nil) -> IngestItem.Outcome {
        switch value {
        case .failure(let rejection):
            return .rejected(rejection)
        case .success(let value):
            switch kind {
            case .predictions:
                switch RecordValidator.prediction(value, sourceText: sourceText) {
                case .success(var record):
                    record.deriveScores()
                    return .prediction(record)
                case .failure(let rejection):
                    return .rejected(rejection)
                }
            case .labels:
                switch RecordValidator.label(value) {
                case .success(let record): return .label(record)
                case .failure(let rejection): return .rejected(rejection)
                }
            }
        }
    }
}

extension PredictionRecord {
    /// Fills msp, margin and entropy at T = 1 from the logits or probabilities.
    public mutating func deriveScores() {
        derived = scoresAtUnitTemperature(logits: optionLogits?[...], probabilities: optionProbs?[...], predicted: predicted)
    }
}

extension PredictionLine {
    /// msp, margin and entropy at T = 1, as ``PredictionRecord/deriveScores()`` computes them for the same record.
    public func derivedScores() -> (msp: Double, margin: Double, entropy: Double)? {
        scoresAtUnitTemperature(logits: logits.map { numbers[$0] }, probabilities: probabilities.map { numbers[$0] }, predicted: predicted)
    }
}

/// The raw msp, margin and entropy (T = 1) of docs/statistics.md: from the logged logits, or from the logged
/// probabilities themselves; nil when neither was logged.
private func scoresAtUnitTemperature(
    logits: ArraySlice<Double>?, probabilities: ArraySlice<Double>?, predicted: Int
) -> (msp: Double, margin: Double, entropy: Double)? {
    DerivedScores.of(logits: logits, probabilities: probabilities, predicted: predicted).map { ($0.msp, $0.margin, $0.entropy) }
}

/// The `--rejects` file: one JSON object per rejected record.
final class RejectsFile {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ByteLineReader.ReadError(description: "cannot create the rejects file \(path)")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    deinit {
        try? handle.close()
    }

    func write(_ record: QuarantinedRecord) throws {
        let line = CanonicalJSON.text(
            .object(
                JSONObject([
                    ("source", .string(record.source)),
                    ("line", record.lineNumber.map { .integer(Int64($0)) } ?? .null),
                    ("prediction_id", record.predictionID.map { .string($0) } ?? .null),
                    ("field", record.field.map { .string($0) } ?? .null),
                    ("reason", .string(record.reason)),
                    ("raw", .string(record.raw)),
                ])))
        try handle.write(contentsOf: Data((line + "\n").utf8))
    }
}

extension AuditApp {
    /// Moves the sequential monitors after labels were stored, returning the reasons of the alarms raised. The labels are
    /// committed whatever happens here: a failure is logged, and the next look (`vlm-audit monitor`, the next ingest)
    /// reads the same labels, since the monitor's cursor did not move.
    /// `predictionIDs` limits the look to the models of those predictions; nil looks at every model. `connection`: an
    /// idle, migrated connection to use (else one is opened).
    func lookAtMonitors(ofPredictions predictionIDs: [String]? = nil, on connection: StoreConnection? = nil) -> [String] {
        do {
            let connection = try connection ?? migratedConnection()
            let models = try predictionIDs.map { try self.models(ofPredictions: $0, on: connection) }
            return try updateMonitors(on: connection, models: models).flatMap { $0.newAlarms.map(\.reason) }
        } catch {
            logger.error("the sequential monitors were not updated (vlm-audit monitor will catch up): \(error)")
            return []
        }
    }
}
