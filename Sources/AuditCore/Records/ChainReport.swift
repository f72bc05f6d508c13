/// The result of recomputing the tamper-evident chain from the stored rows.
public struct ChainReport: Sendable {
    /// One discrepancy: the batch it was found in and, when a row is to blame, which one.
    public struct Problem: Sendable, CustomStringConvertible {
        public let batchID: Int64?
        public let row: String?
        public let message: String
        /// What was found broken when it is neither a batch nor the stored findings (the schema, say).
        public let area: String?

        public init(batchID: Int64?, row: String?, message: String, area: String? = nil) {
            self.batchID = batchID
            self.row = row
            self.message = message
            self.area = area
        }

        public var description: String {
            var text = area ?? batchID.map { "batch \($0)" } ?? "stored findings"
            if let row { text += ", \(row)" }
            return text + ": " + message
        }
    }

    public let batches: Int
    public let rows: Int
    /// The newest batch's chain hash, its id and when it was ingested (RFC 3339); nil for an empty log.
    public let head: (hash: String, batchID: Int64, ingestedAt: String)?
    /// Every discrepancy found, the first broken link first.
    public let problems: [Problem]
    /// The newest calibration event's hash (the head of the calibration event chain); nil when there is none.
    public var calibrationHead: String?
    /// The newest drift run's link hash (the head of the drift chain); nil when there is none.
    public var driftHead: String?
    /// The newest audit plan's hash (the head of the audit plan chain); nil when there is none.
    public var auditPlanHead: String?
    /// The head of the sequential monitor's event chain (nil when no monitor event exists).
    public var monitorHead: String?
    /// The newest checkpoint's hash (the head of the checkpoint chain); nil when none was sealed.
    public var checkpointHead: String?
    /// The newest access event's hash (the head of the access log's chain); nil while nothing was read.
    public var accessHead: String?
    /// Which batches had their rows and links recomputed: all of them, or those after the newest checkpoint.
    public var range: VerifiedRange?
    /// The UE methods the chain's predictions carry on each side, sorted (the checkpoint's and the checked rows'): what a
    /// checkpoint sealed over this report records.
    public var methodsCarried: (confidence: [String], uncertainty: [String]) = ([], [])
    /// Definitions of the schema compared with the migrations' (``SchemaCheck``), and why not if they were not.
    public var schemaDefinitions = 0
    public var schemaNotChecked: String?
    /// The ``Problem/area`` of a difference between the schema and the migrations.
    public static let schemaArea = "schema"
    /// Differences found between the schema and the migrations.
    public var schemaProblems: Int { problems.count { $0.area == Self.schemaArea } }

    public init(
        batches: Int, rows: Int, head: (hash: String, batchID: Int64, ingestedAt: String)?, problems: [Problem],
        calibrationHead: String? = nil, driftHead: String? = nil
    ) {
        self.batches = batches
        self.rows = rows
        self.head = head
        self.problems = problems
        self.calibrationHead = calibrationHead
        self.driftHead = driftHead
    }

    /// True when every row and every link verified.
    public var intact: Bool { problems.isEmpty }
}
